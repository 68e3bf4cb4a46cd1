
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'claude-rs' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'claude-rs'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'claude-rs' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour diagnostics on stderr (stdout is data and never coloured, except doctor''s lines on a terminal) [default: auto, or `color` in the config file]')
            [CompletionResult]::new('--log-file', '--log-file', [CompletionResultType]::ParameterName, 'Append the JSONL event log here [env: CLAUDE_RS_LOG] (default: `log_file` in the config file, else the user''s state directory)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Use this profile of the config file ([profile.NAME]) over its top-level settings [env: CLAUDE_RS_PROFILE]')
            [CompletionResult]::new('--proxy', '--proxy', [CompletionResultType]::ParameterName, 'Send every request through this proxy, http://[user:password@]host:port or https://…, instead of HTTPS_PROXY / HTTP_PROXY / ALL_PROXY (NO_PROXY does not apply to it)')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file (a corporate TLS-inspecting proxy''s), besides the bundled Mozilla roots [env: SSL_CERT_FILE]')
            [CompletionResult]::new('--beta', '--beta', [CompletionResultType]::ParameterName, 'Use this beta feature (repeatable; sent as one anthropic-beta header), e.g. --beta files-api-2025-04-14 [default: `betas` in the config file]')
            [CompletionResult]::new('--native-roots', '--native-roots', [CompletionResultType]::ParameterName, 'Trust the operating system''s certificate store instead of the bundled Mozilla roots')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow sending the API key over plain http:// to a host other than localhost, 127.0.0.0/8 or ::1')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('ask', 'ask', [CompletionResultType]::ParameterValue, 'Send a prompt and print the reply')
            [CompletionResult]::new('batch', 'batch', [CompletionResultType]::ParameterValue, 'Send many prompts from a file: in parallel at the rate limit and not past it, resumable, nothing lost')
            [CompletionResult]::new('explain', 'explain', [CompletionResultType]::ParameterValue, 'Explain an API error you already have: its category, whether claude-rs retries it, the fix and the exit code. Offline')
            [CompletionResult]::new('log', 'log', [CompletionResultType]::ParameterValue, 'Show recent failures from the JSONL log, or sum it up with `log stats`')
            [CompletionResult]::new('doctor', 'doctor', [CompletionResultType]::ParameterValue, 'Check each hop to the API (config, proxy, DNS, TCP, TLS, HTTP, key, model, limits, clock) and the log: which one is broken, and the fix')
            [CompletionResult]::new('config', 'config', [CompletionResultType]::ParameterValue, 'The config file: the settings in effect and where each comes from, or the file''s path')
            [CompletionResult]::new('generate', 'generate', [CompletionResultType]::ParameterValue, 'Write shell completions and man pages (used to refresh completions/ and man/)')
            [CompletionResult]::new('mock', 'mock', [CompletionResultType]::ParameterValue, 'Run the fake Anthropic API on 127.0.0.1, with scriptable failures, for offline tests and demos')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'claude-rs;ask' {
            [CompletionResult]::new('-m', '-m', [CompletionResultType]::ParameterName, 'The model [env: ANTHROPIC_MODEL] [default: claude-sonnet-5-5]')
            [CompletionResult]::new('--model', '--model', [CompletionResultType]::ParameterName, 'The model [env: ANTHROPIC_MODEL] [default: claude-sonnet-5-5]')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'A system prompt')
            [CompletionResult]::new('--system', '--system', [CompletionResultType]::ParameterName, 'A system prompt')
            [CompletionResult]::new('--max-tokens', '--max-tokens', [CompletionResultType]::ParameterName, 'The most tokens the reply may have [default: 4096]')
            [CompletionResult]::new('--temperature', '--temperature', [CompletionResultType]::ParameterName, 'Sampling temperature, 0.0 to 1.0')
            [CompletionResult]::new('--fallback-model', '--fallback-model', [CompletionResultType]::ParameterName, 'When a call still fails with overloaded (529) or a server error (5xx) after its retries, and nothing was printed yet, try this model once [default: `fallback_model` in the config file]')
            [CompletionResult]::new('--max-retries', '--max-retries', [CompletionResultType]::ParameterName, 'Retries after the first attempt; 0 disables retrying [default: 4]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Stall timeout in seconds: an attempt fails when the server sends nothing for this long. A long reply that keeps streaming is never cut by it [default: 30]')
            [CompletionResult]::new('--connect-timeout', '--connect-timeout', [CompletionResultType]::ParameterName, 'Seconds allowed to establish a connection [default: 10]')
            [CompletionResult]::new('--deadline', '--deadline', [CompletionResultType]::ParameterName, 'Seconds for the whole call, retries and waits included')
            [CompletionResult]::new('--choices', '--choices', [CompletionResultType]::ParameterName, 'The trimmed reply must be one of these (case-insensitive); otherwise retry, then fail with output_validation')
            [CompletionResult]::new('--schema', '--schema', [CompletionResultType]::ParameterName, 'The reply must be JSON valid against this JSON Schema (inline, starting with `{`, or a file''s path); sent as structured output when the model supports it; otherwise retry with the errors shown to the model, then fail with output_validation')
            [CompletionResult]::new('--fallback', '--fallback', [CompletionResultType]::ParameterName, 'When the call finally fails, print TEXT on stdout instead of nothing (the failure is still reported and logged)')
            [CompletionResult]::new('--mock', '--mock', [CompletionResultType]::ParameterName, 'Answer from the built-in fake API with this scenario instead of the real API (no key or network needed), e.g. `--mock flaky`. See `claude-rs mock --help`')
            [CompletionResult]::new('--events', '--events', [CompletionResultType]::ParameterName, 'Append one JSON object a line here for each retry, give-up and the outcome, for a program watching the call (`-`: stderr). See docs/events.md')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour diagnostics on stderr (stdout is data and never coloured, except doctor''s lines on a terminal) [default: auto, or `color` in the config file]')
            [CompletionResult]::new('--log-file', '--log-file', [CompletionResultType]::ParameterName, 'Append the JSONL event log here [env: CLAUDE_RS_LOG] (default: `log_file` in the config file, else the user''s state directory)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Use this profile of the config file ([profile.NAME]) over its top-level settings [env: CLAUDE_RS_PROFILE]')
            [CompletionResult]::new('--proxy', '--proxy', [CompletionResultType]::ParameterName, 'Send every request through this proxy, http://[user:password@]host:port or https://…, instead of HTTPS_PROXY / HTTP_PROXY / ALL_PROXY (NO_PROXY does not apply to it)')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file (a corporate TLS-inspecting proxy''s), besides the bundled Mozilla roots [env: SSL_CERT_FILE]')
            [CompletionResult]::new('--beta', '--beta', [CompletionResultType]::ParameterName, 'Use this beta feature (repeatable; sent as one anthropic-beta header), e.g. --beta files-api-2025-04-14 [default: `betas` in the config file]')
            [CompletionResult]::new('--no-shared-limits', '--no-shared-limits', [CompletionResultType]::ParameterName, 'Pace alone: share neither the rate limits, a 429''s pause nor the circuit breaker with the other claude-rs processes using this base URL, key and model (see "Processes that share a key" in the README)')
            [CompletionResult]::new('--no-stream', '--no-stream', [CompletionResultType]::ParameterName, 'Print the reply only once it is complete (the default when stdout is not a terminal)')
            [CompletionResult]::new('--stream', '--stream', [CompletionResultType]::ParameterName, 'Print the reply as it arrives even when stdout is not a terminal')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print exactly one JSON object on stdout, for success or failure')
            [CompletionResult]::new('--raw', '--raw', [CompletionResultType]::ParameterName, 'Print exactly the model''s text: no newline added, nothing escaped, even on a terminal')
            [CompletionResult]::new('--usage', '--usage', [CompletionResultType]::ParameterName, 'After the reply, print its tokens and estimated cost on stderr')
            [CompletionResult]::new('--count-tokens', '--count-tokens', [CompletionResultType]::ParameterName, 'Print the prompt''s input tokens (POST /v1/messages/count_tokens, free; an object with --json) and send nothing else')
            [CompletionResult]::new('--expect-json', '--expect-json', [CompletionResultType]::ParameterName, 'The reply must be JSON (a ```json fenced block is accepted); otherwise retry, then fail with output_validation')
            [CompletionResult]::new('--fallback-cache', '--fallback-cache', [CompletionResultType]::ParameterName, 'Cache successful replies; when a call finally fails with a transient error, print the cached reply to the identical request')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No retry notices on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No retry notices on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Show request and response metadata on stderr (never the key)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Show request and response metadata on stderr (never the key)')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print the request that would be sent (method, URL, headers with the key masked, body) and send nothing')
            [CompletionResult]::new('--native-roots', '--native-roots', [CompletionResultType]::ParameterName, 'Trust the operating system''s certificate store instead of the bundled Mozilla roots')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow sending the API key over plain http:// to a host other than localhost, 127.0.0.0/8 or ::1')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'claude-rs;batch' {
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Write the results here (JSONL), flushed as each item finishes. Running again with the same OUTPUT resumes: ids already in it are skipped. Default: stdout (no resume)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Write the results here (JSONL), flushed as each item finishes. Running again with the same OUTPUT resumes: ids already in it are skipped. Default: stdout (no resume)')
            [CompletionResult]::new('-m', '-m', [CompletionResultType]::ParameterName, 'The model [env: ANTHROPIC_MODEL] [default: claude-sonnet-5-5]')
            [CompletionResult]::new('--model', '--model', [CompletionResultType]::ParameterName, 'The model [env: ANTHROPIC_MODEL] [default: claude-sonnet-5-5]')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'A system prompt')
            [CompletionResult]::new('--system', '--system', [CompletionResultType]::ParameterName, 'A system prompt')
            [CompletionResult]::new('--max-tokens', '--max-tokens', [CompletionResultType]::ParameterName, 'The most tokens the reply may have [default: 4096]')
            [CompletionResult]::new('--temperature', '--temperature', [CompletionResultType]::ParameterName, 'Sampling temperature, 0.0 to 1.0')
            [CompletionResult]::new('--fallback-model', '--fallback-model', [CompletionResultType]::ParameterName, 'When a call still fails with overloaded (529) or a server error (5xx) after its retries, and nothing was printed yet, try this model once [default: `fallback_model` in the config file]')
            [CompletionResult]::new('--max-retries', '--max-retries', [CompletionResultType]::ParameterName, 'Retries after the first attempt; 0 disables retrying [default: 4]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Stall timeout in seconds: an attempt fails when the server sends nothing for this long. A long reply that keeps streaming is never cut by it [default: 30]')
            [CompletionResult]::new('--connect-timeout', '--connect-timeout', [CompletionResultType]::ParameterName, 'Seconds allowed to establish a connection [default: 10]')
            [CompletionResult]::new('--choices', '--choices', [CompletionResultType]::ParameterName, 'The trimmed reply must be one of these (case-insensitive); otherwise retry, then fail with output_validation')
            [CompletionResult]::new('--schema', '--schema', [CompletionResultType]::ParameterName, 'The reply must be JSON valid against this JSON Schema (inline, starting with `{`, or a file''s path); sent as structured output when the model supports it; otherwise retry with the errors shown to the model, then fail with output_validation')
            [CompletionResult]::new('-j', '-j', [CompletionResultType]::ParameterName, 'Worker threads sending requests at the same time [default: 4]')
            [CompletionResult]::new('--jobs', '--jobs', [CompletionResultType]::ParameterName, 'Worker threads sending requests at the same time [default: 4]')
            [CompletionResult]::new('--rpm', '--rpm', [CompletionResultType]::ParameterName, 'Client-side limit: requests per minute, shared by all workers')
            [CompletionResult]::new('--tpm', '--tpm', [CompletionResultType]::ParameterName, 'Client-side limit: input tokens per minute (estimated: 4 characters a token), shared by all workers')
            [CompletionResult]::new('--headroom', '--headroom', [CompletionResultType]::ParameterName, 'Percent of --rpm / --tpm, and of the limits the API reports, kept unused [default: 10]')
            [CompletionResult]::new('--give-up-after', '--give-up-after', [CompletionResultType]::ParameterName, 'Stop the batch, leaving the rest for a rerun, when no request has succeeded for this long (rate-limit and overload waits included), e.g. 30m [default: 10m]')
            [CompletionResult]::new('--mock', '--mock', [CompletionResultType]::ParameterName, 'Answer from the built-in fake API with this scenario instead of the real API (no key or network needed), e.g. `--mock flaky`. See `claude-rs mock --help`')
            [CompletionResult]::new('--batch-id', '--batch-id', [CompletionResultType]::ParameterName, 'With --remote -o OUTPUT and no INPUT: follow this already-submitted batch (one submitted elsewhere, or lost) and download its results into OUTPUT')
            [CompletionResult]::new('--status', '--status', [CompletionResultType]::ParameterName, 'Print the state of a Message Batch (status, counts, times, results URL) and exit')
            [CompletionResult]::new('--cancel', '--cancel', [CompletionResultType]::ParameterName, 'Cancel a Message Batch, print its new state and exit. Results of the requests already processed stay available; the rest become `canceled`')
            [CompletionResult]::new('--poll-interval', '--poll-interval', [CompletionResultType]::ParameterName, 'With --remote: seconds between polls of the batch''s progress (above 0)')
            [CompletionResult]::new('--events', '--events', [CompletionResultType]::ParameterName, 'Append one JSON object a line here for each retry, rate-limit pause, circuit breaker change, item''s outcome and the run''s end, for a program watching the batch (`-`: stderr). See docs/events.md')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour diagnostics on stderr (stdout is data and never coloured, except doctor''s lines on a terminal) [default: auto, or `color` in the config file]')
            [CompletionResult]::new('--log-file', '--log-file', [CompletionResultType]::ParameterName, 'Append the JSONL event log here [env: CLAUDE_RS_LOG] (default: `log_file` in the config file, else the user''s state directory)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Use this profile of the config file ([profile.NAME]) over its top-level settings [env: CLAUDE_RS_PROFILE]')
            [CompletionResult]::new('--proxy', '--proxy', [CompletionResultType]::ParameterName, 'Send every request through this proxy, http://[user:password@]host:port or https://…, instead of HTTPS_PROXY / HTTP_PROXY / ALL_PROXY (NO_PROXY does not apply to it)')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file (a corporate TLS-inspecting proxy''s), besides the bundled Mozilla roots [env: SSL_CERT_FILE]')
            [CompletionResult]::new('--beta', '--beta', [CompletionResultType]::ParameterName, 'Use this beta feature (repeatable; sent as one anthropic-beta header), e.g. --beta files-api-2025-04-14 [default: `betas` in the config file]')
            [CompletionResult]::new('--no-shared-limits', '--no-shared-limits', [CompletionResultType]::ParameterName, 'Pace alone: share neither the rate limits, a 429''s pause nor the circuit breaker with the other claude-rs processes using this base URL, key and model (see "Processes that share a key" in the README)')
            [CompletionResult]::new('--expect-json', '--expect-json', [CompletionResultType]::ParameterName, 'The reply must be JSON (a ```json fenced block is accepted); otherwise retry, then fail with output_validation')
            [CompletionResult]::new('--skip-invalid', '--skip-invalid', [CompletionResultType]::ParameterName, 'Write invalid input lines as errored results and go on, instead of refusing the input (exit 2)')
            [CompletionResult]::new('--retry-errored', '--retry-errored', [CompletionResultType]::ParameterName, 'Also redo the items that errored in OUTPUT (by default only missing ones are done)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No retry notices on a terminal; the summary is still printed')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No retry notices on a terminal; the summary is still printed')
            [CompletionResult]::new('--remote', '--remote', [CompletionResultType]::ParameterName, 'Send the input through the Message Batches API instead (needs -o): submit, poll, download the results into OUTPUT. The batch ids are kept in OUTPUT.batches, so running the same command again resumes: nothing is submitted twice')
            [CompletionResult]::new('--list', '--list', [CompletionResultType]::ParameterName, 'Print the 20 most recent Message Batches (id, status, counts, created) and exit: how to find a batch whose id was lost')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'With --status, --cancel or --list: print the API''s JSON on stdout, as it was sent')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Check INPUT and OUTPUT, print the plan (items, pace, ETA, estimated tokens and cost) and the first request in full, and send nothing; OUTPUT is not touched')
            [CompletionResult]::new('--native-roots', '--native-roots', [CompletionResultType]::ParameterName, 'Trust the operating system''s certificate store instead of the bundled Mozilla roots')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow sending the API key over plain http:// to a host other than localhost, 127.0.0.0/8 or ::1')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'claude-rs;explain' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour diagnostics on stderr (stdout is data and never coloured, except doctor''s lines on a terminal) [default: auto, or `color` in the config file]')
            [CompletionResult]::new('--log-file', '--log-file', [CompletionResultType]::ParameterName, 'Append the JSONL event log here [env: CLAUDE_RS_LOG] (default: `log_file` in the config file, else the user''s state directory)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Use this profile of the config file ([profile.NAME]) over its top-level settings [env: CLAUDE_RS_PROFILE]')
            [CompletionResult]::new('--proxy', '--proxy', [CompletionResultType]::ParameterName, 'Send every request through this proxy, http://[user:password@]host:port or https://…, instead of HTTPS_PROXY / HTTP_PROXY / ALL_PROXY (NO_PROXY does not apply to it)')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file (a corporate TLS-inspecting proxy''s), besides the bundled Mozilla roots [env: SSL_CERT_FILE]')
            [CompletionResult]::new('--beta', '--beta', [CompletionResultType]::ParameterName, 'Use this beta feature (repeatable; sent as one anthropic-beta header), e.g. --beta files-api-2025-04-14 [default: `betas` in the config file]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON object on stdout')
            [CompletionResult]::new('--native-roots', '--native-roots', [CompletionResultType]::ParameterName, 'Trust the operating system''s certificate store instead of the bundled Mozilla roots')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow sending the API key over plain http:// to a host other than localhost, 127.0.0.0/8 or ::1')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'claude-rs;log' {
            [CompletionResult]::new('--since', '--since', [CompletionResultType]::ParameterName, 'Only failures newer than this, e.g. 30m, 1h, 2days')
            [CompletionResult]::new('--category', '--category', [CompletionResultType]::ParameterName, 'Only failures of this category')
            [CompletionResult]::new('--limit', '--limit', [CompletionResultType]::ParameterName, 'Show at most the N newest failures (0 shows all)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour diagnostics on stderr (stdout is data and never coloured, except doctor''s lines on a terminal) [default: auto, or `color` in the config file]')
            [CompletionResult]::new('--log-file', '--log-file', [CompletionResultType]::ParameterName, 'Append the JSONL event log here [env: CLAUDE_RS_LOG] (default: `log_file` in the config file, else the user''s state directory)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Use this profile of the config file ([profile.NAME]) over its top-level settings [env: CLAUDE_RS_PROFILE]')
            [CompletionResult]::new('--proxy', '--proxy', [CompletionResultType]::ParameterName, 'Send every request through this proxy, http://[user:password@]host:port or https://…, instead of HTTPS_PROXY / HTTP_PROXY / ALL_PROXY (NO_PROXY does not apply to it)')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file (a corporate TLS-inspecting proxy''s), besides the bundled Mozilla roots [env: SSL_CERT_FILE]')
            [CompletionResult]::new('--beta', '--beta', [CompletionResultType]::ParameterName, 'Use this beta feature (repeatable; sent as one anthropic-beta header), e.g. --beta files-api-2025-04-14 [default: `betas` in the config file]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print the matching log lines unchanged (JSONL)')
            [CompletionResult]::new('--native-roots', '--native-roots', [CompletionResultType]::ParameterName, 'Trust the operating system''s certificate store instead of the bundled Mozilla roots')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow sending the API key over plain http:// to a host other than localhost, 127.0.0.0/8 or ::1')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('stats', 'stats', [CompletionResultType]::ParameterValue, 'Calls, success rate, failures by category, retries and the worst window of time')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'claude-rs;log;stats' {
            [CompletionResult]::new('--since', '--since', [CompletionResultType]::ParameterName, 'Sum up the log since this long ago')
            [CompletionResult]::new('--window', '--window', [CompletionResultType]::ParameterName, 'The size of the windows the worst one is picked from')
            [CompletionResult]::new('--alert-below', '--alert-below', [CompletionResultType]::ParameterName, 'Exit with the dominant failure category''s code when any window with calls has a success rate below PCT percent (0 to 100)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour diagnostics on stderr (stdout is data and never coloured, except doctor''s lines on a terminal) [default: auto, or `color` in the config file]')
            [CompletionResult]::new('--log-file', '--log-file', [CompletionResultType]::ParameterName, 'Append the JSONL event log here [env: CLAUDE_RS_LOG] (default: `log_file` in the config file, else the user''s state directory)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Use this profile of the config file ([profile.NAME]) over its top-level settings [env: CLAUDE_RS_PROFILE]')
            [CompletionResult]::new('--proxy', '--proxy', [CompletionResultType]::ParameterName, 'Send every request through this proxy, http://[user:password@]host:port or https://…, instead of HTTPS_PROXY / HTTP_PROXY / ALL_PROXY (NO_PROXY does not apply to it)')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file (a corporate TLS-inspecting proxy''s), besides the bundled Mozilla roots [env: SSL_CERT_FILE]')
            [CompletionResult]::new('--beta', '--beta', [CompletionResultType]::ParameterName, 'Use this beta feature (repeatable; sent as one anthropic-beta header), e.g. --beta files-api-2025-04-14 [default: `betas` in the config file]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON object on stdout')
            [CompletionResult]::new('--prometheus', '--prometheus', [CompletionResultType]::ParameterName, 'Print the stats in Prometheus''s text format, for node_exporter''s textfile collector (calls by outcome, failed attempts by category, retries, the success ratio and the worst window''s)')
            [CompletionResult]::new('--native-roots', '--native-roots', [CompletionResultType]::ParameterName, 'Trust the operating system''s certificate store instead of the bundled Mozilla roots')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow sending the API key over plain http:// to a host other than localhost, 127.0.0.0/8 or ::1')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'claude-rs;log;help' {
            [CompletionResult]::new('stats', 'stats', [CompletionResultType]::ParameterValue, 'Calls, success rate, failures by category, retries and the worst window of time')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'claude-rs;log;help;stats' {
            break
        }
        'claude-rs;log;help;help' {
            break
        }
        'claude-rs;doctor' {
            [CompletionResult]::new('-m', '-m', [CompletionResultType]::ParameterName, 'The model to look for [env: ANTHROPIC_MODEL] [default: claude-sonnet-5-5]')
            [CompletionResult]::new('--model', '--model', [CompletionResultType]::ParameterName, 'The model to look for [env: ANTHROPIC_MODEL] [default: claude-sonnet-5-5]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds each network check may take (a whole request: twice this)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour diagnostics on stderr (stdout is data and never coloured, except doctor''s lines on a terminal) [default: auto, or `color` in the config file]')
            [CompletionResult]::new('--log-file', '--log-file', [CompletionResultType]::ParameterName, 'Append the JSONL event log here [env: CLAUDE_RS_LOG] (default: `log_file` in the config file, else the user''s state directory)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Use this profile of the config file ([profile.NAME]) over its top-level settings [env: CLAUDE_RS_PROFILE]')
            [CompletionResult]::new('--proxy', '--proxy', [CompletionResultType]::ParameterName, 'Send every request through this proxy, http://[user:password@]host:port or https://…, instead of HTTPS_PROXY / HTTP_PROXY / ALL_PROXY (NO_PROXY does not apply to it)')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file (a corporate TLS-inspecting proxy''s), besides the bundled Mozilla roots [env: SSL_CERT_FILE]')
            [CompletionResult]::new('--beta', '--beta', [CompletionResultType]::ParameterName, 'Use this beta feature (repeatable; sent as one anthropic-beta header), e.g. --beta files-api-2025-04-14 [default: `betas` in the config file]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON object on stdout: {"ok", "exit_code", "checks": [{"name", "status", "figure", "message", "fix"}]}')
            [CompletionResult]::new('--offline', '--offline', [CompletionResultType]::ParameterName, 'Only the checks that need no network: config, proxy, health and log')
            [CompletionResult]::new('--native-roots', '--native-roots', [CompletionResultType]::ParameterName, 'Trust the operating system''s certificate store instead of the bundled Mozilla roots')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow sending the API key over plain http:// to a host other than localhost, 127.0.0.0/8 or ::1')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'claude-rs;config' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour diagnostics on stderr (stdout is data and never coloured, except doctor''s lines on a terminal) [default: auto, or `color` in the config file]')
            [CompletionResult]::new('--log-file', '--log-file', [CompletionResultType]::ParameterName, 'Append the JSONL event log here [env: CLAUDE_RS_LOG] (default: `log_file` in the config file, else the user''s state directory)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Use this profile of the config file ([profile.NAME]) over its top-level settings [env: CLAUDE_RS_PROFILE]')
            [CompletionResult]::new('--proxy', '--proxy', [CompletionResultType]::ParameterName, 'Send every request through this proxy, http://[user:password@]host:port or https://…, instead of HTTPS_PROXY / HTTP_PROXY / ALL_PROXY (NO_PROXY does not apply to it)')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file (a corporate TLS-inspecting proxy''s), besides the bundled Mozilla roots [env: SSL_CERT_FILE]')
            [CompletionResult]::new('--beta', '--beta', [CompletionResultType]::ParameterName, 'Use this beta feature (repeatable; sent as one anthropic-beta header), e.g. --beta files-api-2025-04-14 [default: `betas` in the config file]')
            [CompletionResult]::new('--native-roots', '--native-roots', [CompletionResultType]::ParameterName, 'Trust the operating system''s certificate store instead of the bundled Mozilla roots')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow sending the API key over plain http:// to a host other than localhost, 127.0.0.0/8 or ::1')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Print every setting in effect, where it came from (flag, env, profile, file, default), the key masked')
            [CompletionResult]::new('path', 'path', [CompletionResultType]::ParameterValue, 'Print the path of the config file (whether it exists or not)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'claude-rs;config;show' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour diagnostics on stderr (stdout is data and never coloured, except doctor''s lines on a terminal) [default: auto, or `color` in the config file]')
            [CompletionResult]::new('--log-file', '--log-file', [CompletionResultType]::ParameterName, 'Append the JSONL event log here [env: CLAUDE_RS_LOG] (default: `log_file` in the config file, else the user''s state directory)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Use this profile of the config file ([profile.NAME]) over its top-level settings [env: CLAUDE_RS_PROFILE]')
            [CompletionResult]::new('--proxy', '--proxy', [CompletionResultType]::ParameterName, 'Send every request through this proxy, http://[user:password@]host:port or https://…, instead of HTTPS_PROXY / HTTP_PROXY / ALL_PROXY (NO_PROXY does not apply to it)')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file (a corporate TLS-inspecting proxy''s), besides the bundled Mozilla roots [env: SSL_CERT_FILE]')
            [CompletionResult]::new('--beta', '--beta', [CompletionResultType]::ParameterName, 'Use this beta feature (repeatable; sent as one anthropic-beta header), e.g. --beta files-api-2025-04-14 [default: `betas` in the config file]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'One JSON object on stdout: {"config_file", "exists", "profile", "settings": [{"key", "value", "source"}]}')
            [CompletionResult]::new('--native-roots', '--native-roots', [CompletionResultType]::ParameterName, 'Trust the operating system''s certificate store instead of the bundled Mozilla roots')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow sending the API key over plain http:// to a host other than localhost, 127.0.0.0/8 or ::1')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'claude-rs;config;path' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour diagnostics on stderr (stdout is data and never coloured, except doctor''s lines on a terminal) [default: auto, or `color` in the config file]')
            [CompletionResult]::new('--log-file', '--log-file', [CompletionResultType]::ParameterName, 'Append the JSONL event log here [env: CLAUDE_RS_LOG] (default: `log_file` in the config file, else the user''s state directory)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Use this profile of the config file ([profile.NAME]) over its top-level settings [env: CLAUDE_RS_PROFILE]')
            [CompletionResult]::new('--proxy', '--proxy', [CompletionResultType]::ParameterName, 'Send every request through this proxy, http://[user:password@]host:port or https://…, instead of HTTPS_PROXY / HTTP_PROXY / ALL_PROXY (NO_PROXY does not apply to it)')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file (a corporate TLS-inspecting proxy''s), besides the bundled Mozilla roots [env: SSL_CERT_FILE]')
            [CompletionResult]::new('--beta', '--beta', [CompletionResultType]::ParameterName, 'Use this beta feature (repeatable; sent as one anthropic-beta header), e.g. --beta files-api-2025-04-14 [default: `betas` in the config file]')
            [CompletionResult]::new('--native-roots', '--native-roots', [CompletionResultType]::ParameterName, 'Trust the operating system''s certificate store instead of the bundled Mozilla roots')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow sending the API key over plain http:// to a host other than localhost, 127.0.0.0/8 or ::1')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'claude-rs;config;help' {
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Print every setting in effect, where it came from (flag, env, profile, file, default), the key masked')
            [CompletionResult]::new('path', 'path', [CompletionResultType]::ParameterValue, 'Print the path of the config file (whether it exists or not)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'claude-rs;config;help;show' {
            break
        }
        'claude-rs;config;help;path' {
            break
        }
        'claude-rs;config;help;help' {
            break
        }
        'claude-rs;generate' {
            [CompletionResult]::new('--out', '--out', [CompletionResultType]::ParameterName, 'The directory that holds completions/ and man/')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour diagnostics on stderr (stdout is data and never coloured, except doctor''s lines on a terminal) [default: auto, or `color` in the config file]')
            [CompletionResult]::new('--log-file', '--log-file', [CompletionResultType]::ParameterName, 'Append the JSONL event log here [env: CLAUDE_RS_LOG] (default: `log_file` in the config file, else the user''s state directory)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Use this profile of the config file ([profile.NAME]) over its top-level settings [env: CLAUDE_RS_PROFILE]')
            [CompletionResult]::new('--proxy', '--proxy', [CompletionResultType]::ParameterName, 'Send every request through this proxy, http://[user:password@]host:port or https://…, instead of HTTPS_PROXY / HTTP_PROXY / ALL_PROXY (NO_PROXY does not apply to it)')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file (a corporate TLS-inspecting proxy''s), besides the bundled Mozilla roots [env: SSL_CERT_FILE]')
            [CompletionResult]::new('--beta', '--beta', [CompletionResultType]::ParameterName, 'Use this beta feature (repeatable; sent as one anthropic-beta header), e.g. --beta files-api-2025-04-14 [default: `betas` in the config file]')
            [CompletionResult]::new('--native-roots', '--native-roots', [CompletionResultType]::ParameterName, 'Trust the operating system''s certificate store instead of the bundled Mozilla roots')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow sending the API key over plain http:// to a host other than localhost, 127.0.0.0/8 or ::1')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'claude-rs;mock' {
            [CompletionResult]::new('--port', '--port', [CompletionResultType]::ParameterName, 'Port on 127.0.0.1 (0 picks a free one)')
            [CompletionResult]::new('--scenario', '--scenario', [CompletionResultType]::ParameterName, 'A named scenario (see the list below)')
            [CompletionResult]::new('--script', '--script', [CompletionResultType]::ParameterName, 'Steps for successive requests, comma-separated, e.g. `529,429:retry-after=2,ok` (overrides the scenario''s script)')
            [CompletionResult]::new('--fault-rate', '--fault-rate', [CompletionResultType]::ParameterName, 'Probability (0 to 1) of a random fault on each request after the script')
            [CompletionResult]::new('--rpm', '--rpm', [CompletionResultType]::ParameterName, 'Server-side rate limit in requests per minute on /v1/messages: a token bucket refilled at N/60 per second (429 with retry-after when empty)')
            [CompletionResult]::new('--burst', '--burst', [CompletionResultType]::ParameterName, 'Capacity of the --rpm bucket (default: the --rpm value). A small burst enforces the limit over shorter intervals: --rpm 1200 --burst 20 allows about 20 a second')
            [CompletionResult]::new('--tpm', '--tpm', [CompletionResultType]::ParameterName, 'Server-side limit in input tokens per minute on /v1/messages (a token bucket; 429 with retry-after when a request''s estimated input tokens do not fit)')
            [CompletionResult]::new('--otpm', '--otpm', [CompletionResultType]::ParameterName, 'Server-side limit in output tokens per minute on /v1/messages (a token bucket; a request is charged its max_tokens, then given back what its reply did not use)')
            [CompletionResult]::new('--batch-polls', '--batch-polls', [CompletionResultType]::ParameterName, 'Polls (GET /v1/messages/batches/ID) it takes a Message Batch to end')
            [CompletionResult]::new('--latency-ms', '--latency-ms', [CompletionResultType]::ParameterName, 'Latency added to every /v1/messages answer, in milliseconds')
            [CompletionResult]::new('--seed', '--seed', [CompletionResultType]::ParameterName, 'Seed for the random faults')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour diagnostics on stderr (stdout is data and never coloured, except doctor''s lines on a terminal) [default: auto, or `color` in the config file]')
            [CompletionResult]::new('--log-file', '--log-file', [CompletionResultType]::ParameterName, 'Append the JSONL event log here [env: CLAUDE_RS_LOG] (default: `log_file` in the config file, else the user''s state directory)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Use this profile of the config file ([profile.NAME]) over its top-level settings [env: CLAUDE_RS_PROFILE]')
            [CompletionResult]::new('--proxy', '--proxy', [CompletionResultType]::ParameterName, 'Send every request through this proxy, http://[user:password@]host:port or https://…, instead of HTTPS_PROXY / HTTP_PROXY / ALL_PROXY (NO_PROXY does not apply to it)')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file (a corporate TLS-inspecting proxy''s), besides the bundled Mozilla roots [env: SSL_CERT_FILE]')
            [CompletionResult]::new('--beta', '--beta', [CompletionResultType]::ParameterName, 'Use this beta feature (repeatable; sent as one anthropic-beta header), e.g. --beta files-api-2025-04-14 [default: `betas` in the config file]')
            [CompletionResult]::new('--tls', '--tls', [CompletionResultType]::ParameterName, 'Serve HTTPS (for testing --ca-cert and certificate failures), with a certificate for 127.0.0.1 signed by a test CA whose PEM file is written to the cache directory')
            [CompletionResult]::new('--native-roots', '--native-roots', [CompletionResultType]::ParameterName, 'Trust the operating system''s certificate store instead of the bundled Mozilla roots')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow sending the API key over plain http:// to a host other than localhost, 127.0.0.0/8 or ::1')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'claude-rs;help' {
            [CompletionResult]::new('ask', 'ask', [CompletionResultType]::ParameterValue, 'Send a prompt and print the reply')
            [CompletionResult]::new('batch', 'batch', [CompletionResultType]::ParameterValue, 'Send many prompts from a file: in parallel at the rate limit and not past it, resumable, nothing lost')
            [CompletionResult]::new('explain', 'explain', [CompletionResultType]::ParameterValue, 'Explain an API error you already have: its category, whether claude-rs retries it, the fix and the exit code. Offline')
            [CompletionResult]::new('log', 'log', [CompletionResultType]::ParameterValue, 'Show recent failures from the JSONL log, or sum it up with `log stats`')
            [CompletionResult]::new('doctor', 'doctor', [CompletionResultType]::ParameterValue, 'Check each hop to the API (config, proxy, DNS, TCP, TLS, HTTP, key, model, limits, clock) and the log: which one is broken, and the fix')
            [CompletionResult]::new('config', 'config', [CompletionResultType]::ParameterValue, 'The config file: the settings in effect and where each comes from, or the file''s path')
            [CompletionResult]::new('generate', 'generate', [CompletionResultType]::ParameterValue, 'Write shell completions and man pages (used to refresh completions/ and man/)')
            [CompletionResult]::new('mock', 'mock', [CompletionResultType]::ParameterValue, 'Run the fake Anthropic API on 127.0.0.1, with scriptable failures, for offline tests and demos')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'claude-rs;help;ask' {
            break
        }
        'claude-rs;help;batch' {
            break
        }
        'claude-rs;help;explain' {
            break
        }
        'claude-rs;help;log' {
            [CompletionResult]::new('stats', 'stats', [CompletionResultType]::ParameterValue, 'Calls, success rate, failures by category, retries and the worst window of time')
            break
        }
        'claude-rs;help;log;stats' {
            break
        }
        'claude-rs;help;doctor' {
            break
        }
        'claude-rs;help;config' {
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Print every setting in effect, where it came from (flag, env, profile, file, default), the key masked')
            [CompletionResult]::new('path', 'path', [CompletionResultType]::ParameterValue, 'Print the path of the config file (whether it exists or not)')
            break
        }
        'claude-rs;help;config;show' {
            break
        }
        'claude-rs;help;config;path' {
            break
        }
        'claude-rs;help;generate' {
            break
        }
        'claude-rs;help;mock' {
            break
        }
        'claude-rs;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
