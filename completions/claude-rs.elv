
use builtin;
use str;

set edit:completion:arg-completer[claude-rs] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'claude-rs'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'claude-rs'= {
            cand --color 'When to colour diagnostics on stderr (stdout is data and never coloured, except doctor''s lines on a terminal) [default: auto, or `color` in the config file]'
            cand --log-file 'Append the JSONL event log here [env: CLAUDE_RS_LOG] (default: `log_file` in the config file, else the user''s state directory)'
            cand --profile 'Use this profile of the config file ([profile.NAME]) over its top-level settings [env: CLAUDE_RS_PROFILE]'
            cand --proxy 'Send every request through this proxy, http://[user:password@]host:port or https://…, instead of HTTPS_PROXY / HTTP_PROXY / ALL_PROXY (NO_PROXY does not apply to it)'
            cand --ca-cert 'Also trust the CA certificates in this PEM file (a corporate TLS-inspecting proxy''s), besides the bundled Mozilla roots [env: SSL_CERT_FILE]'
            cand --beta 'Use this beta feature (repeatable; sent as one anthropic-beta header), e.g. --beta files-api-2025-04-14 [default: `betas` in the config file]'
            cand --native-roots 'Trust the operating system''s certificate store instead of the bundled Mozilla roots'
            cand --allow-insecure-http 'Allow sending the API key over plain http:// to a host other than localhost, 127.0.0.0/8 or ::1'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand ask 'Send a prompt and print the reply'
            cand batch 'Send many prompts from a file: in parallel at the rate limit and not past it, resumable, nothing lost'
            cand explain 'Explain an API error you already have: its category, whether claude-rs retries it, the fix and the exit code. Offline'
            cand log 'Show recent failures from the JSONL log, or sum it up with `log stats`'
            cand doctor 'Check each hop to the API (config, proxy, DNS, TCP, TLS, HTTP, key, model, limits, clock) and the log: which one is broken, and the fix'
            cand config 'The config file: the settings in effect and where each comes from, or the file''s path'
            cand generate 'Write shell completions and man pages (used to refresh completions/ and man/)'
            cand mock 'Run the fake Anthropic API on 127.0.0.1, with scriptable failures, for offline tests and demos'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'claude-rs;ask'= {
            cand -m 'The model [env: ANTHROPIC_MODEL] [default: claude-sonnet-5-5]'
            cand --model 'The model [env: ANTHROPIC_MODEL] [default: claude-sonnet-5-5]'
            cand -s 'A system prompt'
            cand --system 'A system prompt'
            cand --max-tokens 'The most tokens the reply may have [default: 4096]'
            cand --temperature 'Sampling temperature, 0.0 to 1.0'
            cand --fallback-model 'When a call still fails with overloaded (529) or a server error (5xx) after its retries, and nothing was printed yet, try this model once [default: `fallback_model` in the config file]'
            cand --max-retries 'Retries after the first attempt; 0 disables retrying [default: 4]'
            cand --timeout 'Stall timeout in seconds: an attempt fails when the server sends nothing for this long. A long reply that keeps streaming is never cut by it [default: 30]'
            cand --connect-timeout 'Seconds allowed to establish a connection [default: 10]'
            cand --deadline 'Seconds for the whole call, retries and waits included'
            cand --choices 'The trimmed reply must be one of these (case-insensitive); otherwise retry, then fail with output_validation'
            cand --schema 'The reply must be JSON valid against this JSON Schema (inline, starting with `{`, or a file''s path); sent as structured output when the model supports it; otherwise retry with the errors shown to the model, then fail with output_validation'
            cand --fallback 'When the call finally fails, print TEXT on stdout instead of nothing (the failure is still reported and logged)'
            cand --mock 'Answer from the built-in fake API with this scenario instead of the real API (no key or network needed), e.g. `--mock flaky`. See `claude-rs mock --help`'
            cand --events 'Append one JSON object a line here for each retry, give-up and the outcome, for a program watching the call (`-`: stderr). See docs/events.md'
            cand --color 'When to colour diagnostics on stderr (stdout is data and never coloured, except doctor''s lines on a terminal) [default: auto, or `color` in the config file]'
            cand --log-file 'Append the JSONL event log here [env: CLAUDE_RS_LOG] (default: `log_file` in the config file, else the user''s state directory)'
            cand --profile 'Use this profile of the config file ([profile.NAME]) over its top-level settings [env: CLAUDE_RS_PROFILE]'
            cand --proxy 'Send every request through this proxy, http://[user:password@]host:port or https://…, instead of HTTPS_PROXY / HTTP_PROXY / ALL_PROXY (NO_PROXY does not apply to it)'
            cand --ca-cert 'Also trust the CA certificates in this PEM file (a corporate TLS-inspecting proxy''s), besides the bundled Mozilla roots [env: SSL_CERT_FILE]'
            cand --beta 'Use this beta feature (repeatable; sent as one anthropic-beta header), e.g. --beta files-api-2025-04-14 [default: `betas` in the config file]'
            cand --no-shared-limits 'Pace alone: share neither the rate limits, a 429''s pause nor the circuit breaker with the other claude-rs processes using this base URL, key and model (see "Processes that share a key" in the README)'
            cand --no-stream 'Print the reply only once it is complete (the default when stdout is not a terminal)'
            cand --stream 'Print the reply as it arrives even when stdout is not a terminal'
            cand --json 'Print exactly one JSON object on stdout, for success or failure'
            cand --raw 'Print exactly the model''s text: no newline added, nothing escaped, even on a terminal'
            cand --usage 'After the reply, print its tokens and estimated cost on stderr'
            cand --count-tokens 'Print the prompt''s input tokens (POST /v1/messages/count_tokens, free; an object with --json) and send nothing else'
            cand --expect-json 'The reply must be JSON (a ```json fenced block is accepted); otherwise retry, then fail with output_validation'
            cand --fallback-cache 'Cache successful replies; when a call finally fails with a transient error, print the cached reply to the identical request'
            cand -q 'No retry notices on stderr'
            cand --quiet 'No retry notices on stderr'
            cand -v 'Show request and response metadata on stderr (never the key)'
            cand --verbose 'Show request and response metadata on stderr (never the key)'
            cand --dry-run 'Print the request that would be sent (method, URL, headers with the key masked, body) and send nothing'
            cand --native-roots 'Trust the operating system''s certificate store instead of the bundled Mozilla roots'
            cand --allow-insecure-http 'Allow sending the API key over plain http:// to a host other than localhost, 127.0.0.0/8 or ::1'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'claude-rs;batch'= {
            cand -o 'Write the results here (JSONL), flushed as each item finishes. Running again with the same OUTPUT resumes: ids already in it are skipped. Default: stdout (no resume)'
            cand --output 'Write the results here (JSONL), flushed as each item finishes. Running again with the same OUTPUT resumes: ids already in it are skipped. Default: stdout (no resume)'
            cand -m 'The model [env: ANTHROPIC_MODEL] [default: claude-sonnet-5-5]'
            cand --model 'The model [env: ANTHROPIC_MODEL] [default: claude-sonnet-5-5]'
            cand -s 'A system prompt'
            cand --system 'A system prompt'
            cand --max-tokens 'The most tokens the reply may have [default: 4096]'
            cand --temperature 'Sampling temperature, 0.0 to 1.0'
            cand --fallback-model 'When a call still fails with overloaded (529) or a server error (5xx) after its retries, and nothing was printed yet, try this model once [default: `fallback_model` in the config file]'
            cand --max-retries 'Retries after the first attempt; 0 disables retrying [default: 4]'
            cand --timeout 'Stall timeout in seconds: an attempt fails when the server sends nothing for this long. A long reply that keeps streaming is never cut by it [default: 30]'
            cand --connect-timeout 'Seconds allowed to establish a connection [default: 10]'
            cand --choices 'The trimmed reply must be one of these (case-insensitive); otherwise retry, then fail with output_validation'
            cand --schema 'The reply must be JSON valid against this JSON Schema (inline, starting with `{`, or a file''s path); sent as structured output when the model supports it; otherwise retry with the errors shown to the model, then fail with output_validation'
            cand -j 'Worker threads sending requests at the same time [default: 4]'
            cand --jobs 'Worker threads sending requests at the same time [default: 4]'
            cand --rpm 'Client-side limit: requests per minute, shared by all workers'
            cand --tpm 'Client-side limit: input tokens per minute (estimated: 4 characters a token), shared by all workers'
            cand --headroom 'Percent of --rpm / --tpm, and of the limits the API reports, kept unused [default: 10]'
            cand --give-up-after 'Stop the batch, leaving the rest for a rerun, when no request has succeeded for this long (rate-limit and overload waits included), e.g. 30m [default: 10m]'
            cand --mock 'Answer from the built-in fake API with this scenario instead of the real API (no key or network needed), e.g. `--mock flaky`. See `claude-rs mock --help`'
            cand --batch-id 'With --remote -o OUTPUT and no INPUT: follow this already-submitted batch (one submitted elsewhere, or lost) and download its results into OUTPUT'
            cand --status 'Print the state of a Message Batch (status, counts, times, results URL) and exit'
            cand --cancel 'Cancel a Message Batch, print its new state and exit. Results of the requests already processed stay available; the rest become `canceled`'
            cand --poll-interval 'With --remote: seconds between polls of the batch''s progress (above 0)'
            cand --events 'Append one JSON object a line here for each retry, rate-limit pause, circuit breaker change, item''s outcome and the run''s end, for a program watching the batch (`-`: stderr). See docs/events.md'
            cand --color 'When to colour diagnostics on stderr (stdout is data and never coloured, except doctor''s lines on a terminal) [default: auto, or `color` in the config file]'
            cand --log-file 'Append the JSONL event log here [env: CLAUDE_RS_LOG] (default: `log_file` in the config file, else the user''s state directory)'
            cand --profile 'Use this profile of the config file ([profile.NAME]) over its top-level settings [env: CLAUDE_RS_PROFILE]'
            cand --proxy 'Send every request through this proxy, http://[user:password@]host:port or https://…, instead of HTTPS_PROXY / HTTP_PROXY / ALL_PROXY (NO_PROXY does not apply to it)'
            cand --ca-cert 'Also trust the CA certificates in this PEM file (a corporate TLS-inspecting proxy''s), besides the bundled Mozilla roots [env: SSL_CERT_FILE]'
            cand --beta 'Use this beta feature (repeatable; sent as one anthropic-beta header), e.g. --beta files-api-2025-04-14 [default: `betas` in the config file]'
            cand --no-shared-limits 'Pace alone: share neither the rate limits, a 429''s pause nor the circuit breaker with the other claude-rs processes using this base URL, key and model (see "Processes that share a key" in the README)'
            cand --expect-json 'The reply must be JSON (a ```json fenced block is accepted); otherwise retry, then fail with output_validation'
            cand --skip-invalid 'Write invalid input lines as errored results and go on, instead of refusing the input (exit 2)'
            cand --retry-errored 'Also redo the items that errored in OUTPUT (by default only missing ones are done)'
            cand -q 'No retry notices on a terminal; the summary is still printed'
            cand --quiet 'No retry notices on a terminal; the summary is still printed'
            cand --remote 'Send the input through the Message Batches API instead (needs -o): submit, poll, download the results into OUTPUT. The batch ids are kept in OUTPUT.batches, so running the same command again resumes: nothing is submitted twice'
            cand --list 'Print the 20 most recent Message Batches (id, status, counts, created) and exit: how to find a batch whose id was lost'
            cand --json 'With --status, --cancel or --list: print the API''s JSON on stdout, as it was sent'
            cand --dry-run 'Check INPUT and OUTPUT, print the plan (items, pace, ETA, estimated tokens and cost) and the first request in full, and send nothing; OUTPUT is not touched'
            cand --native-roots 'Trust the operating system''s certificate store instead of the bundled Mozilla roots'
            cand --allow-insecure-http 'Allow sending the API key over plain http:// to a host other than localhost, 127.0.0.0/8 or ::1'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'claude-rs;explain'= {
            cand --color 'When to colour diagnostics on stderr (stdout is data and never coloured, except doctor''s lines on a terminal) [default: auto, or `color` in the config file]'
            cand --log-file 'Append the JSONL event log here [env: CLAUDE_RS_LOG] (default: `log_file` in the config file, else the user''s state directory)'
            cand --profile 'Use this profile of the config file ([profile.NAME]) over its top-level settings [env: CLAUDE_RS_PROFILE]'
            cand --proxy 'Send every request through this proxy, http://[user:password@]host:port or https://…, instead of HTTPS_PROXY / HTTP_PROXY / ALL_PROXY (NO_PROXY does not apply to it)'
            cand --ca-cert 'Also trust the CA certificates in this PEM file (a corporate TLS-inspecting proxy''s), besides the bundled Mozilla roots [env: SSL_CERT_FILE]'
            cand --beta 'Use this beta feature (repeatable; sent as one anthropic-beta header), e.g. --beta files-api-2025-04-14 [default: `betas` in the config file]'
            cand --json 'Print one JSON object on stdout'
            cand --native-roots 'Trust the operating system''s certificate store instead of the bundled Mozilla roots'
            cand --allow-insecure-http 'Allow sending the API key over plain http:// to a host other than localhost, 127.0.0.0/8 or ::1'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'claude-rs;log'= {
            cand --since 'Only failures newer than this, e.g. 30m, 1h, 2days'
            cand --category 'Only failures of this category'
            cand --limit 'Show at most the N newest failures (0 shows all)'
            cand --color 'When to colour diagnostics on stderr (stdout is data and never coloured, except doctor''s lines on a terminal) [default: auto, or `color` in the config file]'
            cand --log-file 'Append the JSONL event log here [env: CLAUDE_RS_LOG] (default: `log_file` in the config file, else the user''s state directory)'
            cand --profile 'Use this profile of the config file ([profile.NAME]) over its top-level settings [env: CLAUDE_RS_PROFILE]'
            cand --proxy 'Send every request through this proxy, http://[user:password@]host:port or https://…, instead of HTTPS_PROXY / HTTP_PROXY / ALL_PROXY (NO_PROXY does not apply to it)'
            cand --ca-cert 'Also trust the CA certificates in this PEM file (a corporate TLS-inspecting proxy''s), besides the bundled Mozilla roots [env: SSL_CERT_FILE]'
            cand --beta 'Use this beta feature (repeatable; sent as one anthropic-beta header), e.g. --beta files-api-2025-04-14 [default: `betas` in the config file]'
            cand --json 'Print the matching log lines unchanged (JSONL)'
            cand --native-roots 'Trust the operating system''s certificate store instead of the bundled Mozilla roots'
            cand --allow-insecure-http 'Allow sending the API key over plain http:// to a host other than localhost, 127.0.0.0/8 or ::1'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand stats 'Calls, success rate, failures by category, retries and the worst window of time'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'claude-rs;log;stats'= {
            cand --since 'Sum up the log since this long ago'
            cand --window 'The size of the windows the worst one is picked from'
            cand --alert-below 'Exit with the dominant failure category''s code when any window with calls has a success rate below PCT percent (0 to 100)'
            cand --color 'When to colour diagnostics on stderr (stdout is data and never coloured, except doctor''s lines on a terminal) [default: auto, or `color` in the config file]'
            cand --log-file 'Append the JSONL event log here [env: CLAUDE_RS_LOG] (default: `log_file` in the config file, else the user''s state directory)'
            cand --profile 'Use this profile of the config file ([profile.NAME]) over its top-level settings [env: CLAUDE_RS_PROFILE]'
            cand --proxy 'Send every request through this proxy, http://[user:password@]host:port or https://…, instead of HTTPS_PROXY / HTTP_PROXY / ALL_PROXY (NO_PROXY does not apply to it)'
            cand --ca-cert 'Also trust the CA certificates in this PEM file (a corporate TLS-inspecting proxy''s), besides the bundled Mozilla roots [env: SSL_CERT_FILE]'
            cand --beta 'Use this beta feature (repeatable; sent as one anthropic-beta header), e.g. --beta files-api-2025-04-14 [default: `betas` in the config file]'
            cand --json 'Print one JSON object on stdout'
            cand --prometheus 'Print the stats in Prometheus''s text format, for node_exporter''s textfile collector (calls by outcome, failed attempts by category, retries, the success ratio and the worst window''s)'
            cand --native-roots 'Trust the operating system''s certificate store instead of the bundled Mozilla roots'
            cand --allow-insecure-http 'Allow sending the API key over plain http:// to a host other than localhost, 127.0.0.0/8 or ::1'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'claude-rs;log;help'= {
            cand stats 'Calls, success rate, failures by category, retries and the worst window of time'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'claude-rs;log;help;stats'= {
        }
        &'claude-rs;log;help;help'= {
        }
        &'claude-rs;doctor'= {
            cand -m 'The model to look for [env: ANTHROPIC_MODEL] [default: claude-sonnet-5-5]'
            cand --model 'The model to look for [env: ANTHROPIC_MODEL] [default: claude-sonnet-5-5]'
            cand --timeout 'Seconds each network check may take (a whole request: twice this)'
            cand --color 'When to colour diagnostics on stderr (stdout is data and never coloured, except doctor''s lines on a terminal) [default: auto, or `color` in the config file]'
            cand --log-file 'Append the JSONL event log here [env: CLAUDE_RS_LOG] (default: `log_file` in the config file, else the user''s state directory)'
            cand --profile 'Use this profile of the config file ([profile.NAME]) over its top-level settings [env: CLAUDE_RS_PROFILE]'
            cand --proxy 'Send every request through this proxy, http://[user:password@]host:port or https://…, instead of HTTPS_PROXY / HTTP_PROXY / ALL_PROXY (NO_PROXY does not apply to it)'
            cand --ca-cert 'Also trust the CA certificates in this PEM file (a corporate TLS-inspecting proxy''s), besides the bundled Mozilla roots [env: SSL_CERT_FILE]'
            cand --beta 'Use this beta feature (repeatable; sent as one anthropic-beta header), e.g. --beta files-api-2025-04-14 [default: `betas` in the config file]'
            cand --json 'Print one JSON object on stdout: {"ok", "exit_code", "checks": [{"name", "status", "figure", "message", "fix"}]}'
            cand --offline 'Only the checks that need no network: config, proxy, health and log'
            cand --native-roots 'Trust the operating system''s certificate store instead of the bundled Mozilla roots'
            cand --allow-insecure-http 'Allow sending the API key over plain http:// to a host other than localhost, 127.0.0.0/8 or ::1'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'claude-rs;config'= {
            cand --color 'When to colour diagnostics on stderr (stdout is data and never coloured, except doctor''s lines on a terminal) [default: auto, or `color` in the config file]'
            cand --log-file 'Append the JSONL event log here [env: CLAUDE_RS_LOG] (default: `log_file` in the config file, else the user''s state directory)'
            cand --profile 'Use this profile of the config file ([profile.NAME]) over its top-level settings [env: CLAUDE_RS_PROFILE]'
            cand --proxy 'Send every request through this proxy, http://[user:password@]host:port or https://…, instead of HTTPS_PROXY / HTTP_PROXY / ALL_PROXY (NO_PROXY does not apply to it)'
            cand --ca-cert 'Also trust the CA certificates in this PEM file (a corporate TLS-inspecting proxy''s), besides the bundled Mozilla roots [env: SSL_CERT_FILE]'
            cand --beta 'Use this beta feature (repeatable; sent as one anthropic-beta header), e.g. --beta files-api-2025-04-14 [default: `betas` in the config file]'
            cand --native-roots 'Trust the operating system''s certificate store instead of the bundled Mozilla roots'
            cand --allow-insecure-http 'Allow sending the API key over plain http:// to a host other than localhost, 127.0.0.0/8 or ::1'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand show 'Print every setting in effect, where it came from (flag, env, profile, file, default), the key masked'
            cand path 'Print the path of the config file (whether it exists or not)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'claude-rs;config;show'= {
            cand --color 'When to colour diagnostics on stderr (stdout is data and never coloured, except doctor''s lines on a terminal) [default: auto, or `color` in the config file]'
            cand --log-file 'Append the JSONL event log here [env: CLAUDE_RS_LOG] (default: `log_file` in the config file, else the user''s state directory)'
            cand --profile 'Use this profile of the config file ([profile.NAME]) over its top-level settings [env: CLAUDE_RS_PROFILE]'
            cand --proxy 'Send every request through this proxy, http://[user:password@]host:port or https://…, instead of HTTPS_PROXY / HTTP_PROXY / ALL_PROXY (NO_PROXY does not apply to it)'
            cand --ca-cert 'Also trust the CA certificates in this PEM file (a corporate TLS-inspecting proxy''s), besides the bundled Mozilla roots [env: SSL_CERT_FILE]'
            cand --beta 'Use this beta feature (repeatable; sent as one anthropic-beta header), e.g. --beta files-api-2025-04-14 [default: `betas` in the config file]'
            cand --json 'One JSON object on stdout: {"config_file", "exists", "profile", "settings": [{"key", "value", "source"}]}'
            cand --native-roots 'Trust the operating system''s certificate store instead of the bundled Mozilla roots'
            cand --allow-insecure-http 'Allow sending the API key over plain http:// to a host other than localhost, 127.0.0.0/8 or ::1'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'claude-rs;config;path'= {
            cand --color 'When to colour diagnostics on stderr (stdout is data and never coloured, except doctor''s lines on a terminal) [default: auto, or `color` in the config file]'
            cand --log-file 'Append the JSONL event log here [env: CLAUDE_RS_LOG] (default: `log_file` in the config file, else the user''s state directory)'
            cand --profile 'Use this profile of the config file ([profile.NAME]) over its top-level settings [env: CLAUDE_RS_PROFILE]'
            cand --proxy 'Send every request through this proxy, http://[user:password@]host:port or https://…, instead of HTTPS_PROXY / HTTP_PROXY / ALL_PROXY (NO_PROXY does not apply to it)'
            cand --ca-cert 'Also trust the CA certificates in this PEM file (a corporate TLS-inspecting proxy''s), besides the bundled Mozilla roots [env: SSL_CERT_FILE]'
            cand --beta 'Use this beta feature (repeatable; sent as one anthropic-beta header), e.g. --beta files-api-2025-04-14 [default: `betas` in the config file]'
            cand --native-roots 'Trust the operating system''s certificate store instead of the bundled Mozilla roots'
            cand --allow-insecure-http 'Allow sending the API key over plain http:// to a host other than localhost, 127.0.0.0/8 or ::1'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'claude-rs;config;help'= {
            cand show 'Print every setting in effect, where it came from (flag, env, profile, file, default), the key masked'
            cand path 'Print the path of the config file (whether it exists or not)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'claude-rs;config;help;show'= {
        }
        &'claude-rs;config;help;path'= {
        }
        &'claude-rs;config;help;help'= {
        }
        &'claude-rs;generate'= {
            cand --out 'The directory that holds completions/ and man/'
            cand --color 'When to colour diagnostics on stderr (stdout is data and never coloured, except doctor''s lines on a terminal) [default: auto, or `color` in the config file]'
            cand --log-file 'Append the JSONL event log here [env: CLAUDE_RS_LOG] (default: `log_file` in the config file, else the user''s state directory)'
            cand --profile 'Use this profile of the config file ([profile.NAME]) over its top-level settings [env: CLAUDE_RS_PROFILE]'
            cand --proxy 'Send every request through this proxy, http://[user:password@]host:port or https://…, instead of HTTPS_PROXY / HTTP_PROXY / ALL_PROXY (NO_PROXY does not apply to it)'
            cand --ca-cert 'Also trust the CA certificates in this PEM file (a corporate TLS-inspecting proxy''s), besides the bundled Mozilla roots [env: SSL_CERT_FILE]'
            cand --beta 'Use this beta feature (repeatable; sent as one anthropic-beta header), e.g. --beta files-api-2025-04-14 [default: `betas` in the config file]'
            cand --native-roots 'Trust the operating system''s certificate store instead of the bundled Mozilla roots'
            cand --allow-insecure-http 'Allow sending the API key over plain http:// to a host other than localhost, 127.0.0.0/8 or ::1'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'claude-rs;mock'= {
            cand --port 'Port on 127.0.0.1 (0 picks a free one)'
            cand --scenario 'A named scenario (see the list below)'
            cand --script 'Steps for successive requests, comma-separated, e.g. `529,429:retry-after=2,ok` (overrides the scenario''s script)'
            cand --fault-rate 'Probability (0 to 1) of a random fault on each request after the script'
            cand --rpm 'Server-side rate limit in requests per minute on /v1/messages: a token bucket refilled at N/60 per second (429 with retry-after when empty)'
            cand --burst 'Capacity of the --rpm bucket (default: the --rpm value). A small burst enforces the limit over shorter intervals: --rpm 1200 --burst 20 allows about 20 a second'
            cand --tpm 'Server-side limit in input tokens per minute on /v1/messages (a token bucket; 429 with retry-after when a request''s estimated input tokens do not fit)'
            cand --otpm 'Server-side limit in output tokens per minute on /v1/messages (a token bucket; a request is charged its max_tokens, then given back what its reply did not use)'
            cand --batch-polls 'Polls (GET /v1/messages/batches/ID) it takes a Message Batch to end'
            cand --latency-ms 'Latency added to every /v1/messages answer, in milliseconds'
            cand --seed 'Seed for the random faults'
            cand --color 'When to colour diagnostics on stderr (stdout is data and never coloured, except doctor''s lines on a terminal) [default: auto, or `color` in the config file]'
            cand --log-file 'Append the JSONL event log here [env: CLAUDE_RS_LOG] (default: `log_file` in the config file, else the user''s state directory)'
            cand --profile 'Use this profile of the config file ([profile.NAME]) over its top-level settings [env: CLAUDE_RS_PROFILE]'
            cand --proxy 'Send every request through this proxy, http://[user:password@]host:port or https://…, instead of HTTPS_PROXY / HTTP_PROXY / ALL_PROXY (NO_PROXY does not apply to it)'
            cand --ca-cert 'Also trust the CA certificates in this PEM file (a corporate TLS-inspecting proxy''s), besides the bundled Mozilla roots [env: SSL_CERT_FILE]'
            cand --beta 'Use this beta feature (repeatable; sent as one anthropic-beta header), e.g. --beta files-api-2025-04-14 [default: `betas` in the config file]'
            cand --tls 'Serve HTTPS (for testing --ca-cert and certificate failures), with a certificate for 127.0.0.1 signed by a test CA whose PEM file is written to the cache directory'
            cand --native-roots 'Trust the operating system''s certificate store instead of the bundled Mozilla roots'
            cand --allow-insecure-http 'Allow sending the API key over plain http:// to a host other than localhost, 127.0.0.0/8 or ::1'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'claude-rs;help'= {
            cand ask 'Send a prompt and print the reply'
            cand batch 'Send many prompts from a file: in parallel at the rate limit and not past it, resumable, nothing lost'
            cand explain 'Explain an API error you already have: its category, whether claude-rs retries it, the fix and the exit code. Offline'
            cand log 'Show recent failures from the JSONL log, or sum it up with `log stats`'
            cand doctor 'Check each hop to the API (config, proxy, DNS, TCP, TLS, HTTP, key, model, limits, clock) and the log: which one is broken, and the fix'
            cand config 'The config file: the settings in effect and where each comes from, or the file''s path'
            cand generate 'Write shell completions and man pages (used to refresh completions/ and man/)'
            cand mock 'Run the fake Anthropic API on 127.0.0.1, with scriptable failures, for offline tests and demos'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'claude-rs;help;ask'= {
        }
        &'claude-rs;help;batch'= {
        }
        &'claude-rs;help;explain'= {
        }
        &'claude-rs;help;log'= {
            cand stats 'Calls, success rate, failures by category, retries and the worst window of time'
        }
        &'claude-rs;help;log;stats'= {
        }
        &'claude-rs;help;doctor'= {
        }
        &'claude-rs;help;config'= {
            cand show 'Print every setting in effect, where it came from (flag, env, profile, file, default), the key masked'
            cand path 'Print the path of the config file (whether it exists or not)'
        }
        &'claude-rs;help;config;show'= {
        }
        &'claude-rs;help;config;path'= {
        }
        &'claude-rs;help;generate'= {
        }
        &'claude-rs;help;mock'= {
        }
        &'claude-rs;help;help'= {
        }
    ]
    $completions[$command]
}
