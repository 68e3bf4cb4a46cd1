# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_claude_rs_global_optspecs
    string join \n color= log-file= profile= proxy= ca-cert= native-roots allow-insecure-http beta= h/help V/version
end

function __fish_claude_rs_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_claude_rs_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_claude_rs_using_subcommand
    set -l cmd (__fish_claude_rs_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c claude-rs -n "__fish_claude_rs_needs_command" -l color -d 'When to colour diagnostics on stderr (stdout is data and never coloured, except doctor\'s lines on a terminal) [default: auto, or `color` in the config file]' -r -f -a "auto\t''
always\t''
never\t''"
complete -c claude-rs -n "__fish_claude_rs_needs_command" -l log-file -d 'Append the JSONL event log here [env: CLAUDE_RS_LOG] (default: `log_file` in the config file, else the user\'s state directory)' -r -F
complete -c claude-rs -n "__fish_claude_rs_needs_command" -l profile -d 'Use this profile of the config file ([profile.NAME]) over its top-level settings [env: CLAUDE_RS_PROFILE]' -r
complete -c claude-rs -n "__fish_claude_rs_needs_command" -l proxy -d 'Send every request through this proxy, http://[user:password@]host:port or https://…, instead of HTTPS_PROXY / HTTP_PROXY / ALL_PROXY (NO_PROXY does not apply to it)' -r
complete -c claude-rs -n "__fish_claude_rs_needs_command" -l ca-cert -d 'Also trust the CA certificates in this PEM file (a corporate TLS-inspecting proxy\'s), besides the bundled Mozilla roots [env: SSL_CERT_FILE]' -r -F
complete -c claude-rs -n "__fish_claude_rs_needs_command" -l beta -d 'Use this beta feature (repeatable; sent as one anthropic-beta header), e.g. --beta files-api-2025-04-14 [default: `betas` in the config file]' -r
complete -c claude-rs -n "__fish_claude_rs_needs_command" -l native-roots -d 'Trust the operating system\'s certificate store instead of the bundled Mozilla roots'
complete -c claude-rs -n "__fish_claude_rs_needs_command" -l allow-insecure-http -d 'Allow sending the API key over plain http:// to a host other than localhost, 127.0.0.0/8 or ::1'
complete -c claude-rs -n "__fish_claude_rs_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c claude-rs -n "__fish_claude_rs_needs_command" -s V -l version -d 'Print version'
complete -c claude-rs -n "__fish_claude_rs_needs_command" -f -a "ask" -d 'Send a prompt and print the reply'
complete -c claude-rs -n "__fish_claude_rs_needs_command" -f -a "batch" -d 'Send many prompts from a file: in parallel at the rate limit and not past it, resumable, nothing lost'
complete -c claude-rs -n "__fish_claude_rs_needs_command" -f -a "explain" -d 'Explain an API error you already have: its category, whether claude-rs retries it, the fix and the exit code. Offline'
complete -c claude-rs -n "__fish_claude_rs_needs_command" -f -a "log" -d 'Show recent failures from the JSONL log, or sum it up with `log stats`'
complete -c claude-rs -n "__fish_claude_rs_needs_command" -f -a "doctor" -d 'Check each hop to the API (config, proxy, DNS, TCP, TLS, HTTP, key, model, limits, clock) and the log: which one is broken, and the fix'
complete -c claude-rs -n "__fish_claude_rs_needs_command" -f -a "config" -d 'The config file: the settings in effect and where each comes from, or the file\'s path'
complete -c claude-rs -n "__fish_claude_rs_needs_command" -f -a "generate" -d 'Write shell completions and man pages (used to refresh completions/ and man/)'
complete -c claude-rs -n "__fish_claude_rs_needs_command" -f -a "mock" -d 'Run the fake Anthropic API on 127.0.0.1, with scriptable failures, for offline tests and demos'
complete -c claude-rs -n "__fish_claude_rs_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c claude-rs -n "__fish_claude_rs_using_subcommand ask" -s m -l model -d 'The model [env: ANTHROPIC_MODEL] [default: claude-sonnet-5-5]' -r
complete -c claude-rs -n "__fish_claude_rs_using_subcommand ask" -s s -l system -d 'A system prompt' -r
complete -c claude-rs -n "__fish_claude_rs_using_subcommand ask" -l max-tokens -d 'The most tokens the reply may have [default: 4096]' -r
complete -c claude-rs -n "__fish_claude_rs_using_subcommand ask" -l temperature -d 'Sampling temperature, 0.0 to 1.0' -r
complete -c claude-rs -n "__fish_claude_rs_using_subcommand ask" -l fallback-model -d 'When a call still fails with overloaded (529) or a server error (5xx) after its retries, and nothing was printed yet, try this model once [default: `fallback_model` in the config file]' -r
complete -c claude-rs -n "__fish_claude_rs_using_subcommand ask" -l max-retries -d 'Retries after the first attempt; 0 disables retrying [default: 4]' -r
complete -c claude-rs -n "__fish_claude_rs_using_subcommand ask" -l timeout -d 'Stall timeout in seconds: an attempt fails when the server sends nothing for this long. A long reply that keeps streaming is never cut by it [default: 30]' -r
complete -c claude-rs -n "__fish_claude_rs_using_subcommand ask" -l connect-timeout -d 'Seconds allowed to establish a connection [default: 10]' -r
complete -c claude-rs -n "__fish_claude_rs_using_subcommand ask" -l deadline -d 'Seconds for the whole call, retries and waits included' -r
complete -c claude-rs -n "__fish_claude_rs_using_subcommand ask" -l choices -d 'The trimmed reply must be one of these (case-insensitive); otherwise retry, then fail with output_validation' -r
complete -c claude-rs -n "__fish_claude_rs_using_subcommand ask" -l schema -d 'The reply must be JSON valid against this JSON Schema (inline, starting with `{`, or a file\'s path); sent as structured output when the model supports it; otherwise retry with the errors shown to the model, then fail with output_validation' -r
complete -c claude-rs -n "__fish_claude_rs_using_subcommand ask" -l fallback -d 'When the call finally fails, print TEXT on stdout instead of nothing (the failure is still reported and logged)' -r
complete -c claude-rs -n "__fish_claude_rs_using_subcommand ask" -l mock -d 'Answer from the built-in fake API with this scenario instead of the real API (no key or network needed), e.g. `--mock flaky`. See `claude-rs mock --help`' -r
complete -c claude-rs -n "__fish_claude_rs_using_subcommand ask" -l events -d 'Append one JSON object a line here for each retry, give-up and the outcome, for a program watching the call (`-`: stderr). See docs/events.md' -r -F
complete -c claude-rs -n "__fish_claude_rs_using_subcommand ask" -l color -d 'When to colour diagnostics on stderr (stdout is data and never coloured, except doctor\'s lines on a terminal) [default: auto, or `color` in the config file]' -r -f -a "auto\t''
always\t''
never\t''"
complete -c claude-rs -n "__fish_claude_rs_using_subcommand ask" -l log-file -d 'Append the JSONL event log here [env: CLAUDE_RS_LOG] (default: `log_file` in the config file, else the user\'s state directory)' -r -F
complete -c claude-rs -n "__fish_claude_rs_using_subcommand ask" -l profile -d 'Use this profile of the config file ([profile.NAME]) over its top-level settings [env: CLAUDE_RS_PROFILE]' -r
complete -c claude-rs -n "__fish_claude_rs_using_subcommand ask" -l proxy -d 'Send every request through this proxy, http://[user:password@]host:port or https://…, instead of HTTPS_PROXY / HTTP_PROXY / ALL_PROXY (NO_PROXY does not apply to it)' -r
complete -c claude-rs -n "__fish_claude_rs_using_subcommand ask" -l ca-cert -d 'Also trust the CA certificates in this PEM file (a corporate TLS-inspecting proxy\'s), besides the bundled Mozilla roots [env: SSL_CERT_FILE]' -r -F
complete -c claude-rs -n "__fish_claude_rs_using_subcommand ask" -l beta -d 'Use this beta feature (repeatable; sent as one anthropic-beta header), e.g. --beta files-api-2025-04-14 [default: `betas` in the config file]' -r
complete -c claude-rs -n "__fish_claude_rs_using_subcommand ask" -l no-shared-limits -d 'Pace alone: share neither the rate limits, a 429\'s pause nor the circuit breaker with the other claude-rs processes using this base URL, key and model (see "Processes that share a key" in the README)'
complete -c claude-rs -n "__fish_claude_rs_using_subcommand ask" -l no-stream -d 'Print the reply only once it is complete (the default when stdout is not a terminal)'
complete -c claude-rs -n "__fish_claude_rs_using_subcommand ask" -l stream -d 'Print the reply as it arrives even when stdout is not a terminal'
complete -c claude-rs -n "__fish_claude_rs_using_subcommand ask" -l json -d 'Print exactly one JSON object on stdout, for success or failure'
complete -c claude-rs -n "__fish_claude_rs_using_subcommand ask" -l raw -d 'Print exactly the model\'s text: no newline added, nothing escaped, even on a terminal'
complete -c claude-rs -n "__fish_claude_rs_using_subcommand ask" -l usage -d 'After the reply, print its tokens and estimated cost on stderr'
complete -c claude-rs -n "__fish_claude_rs_using_subcommand ask" -l count-tokens -d 'Print the prompt\'s input tokens (POST /v1/messages/count_tokens, free; an object with --json) and send nothing else'
complete -c claude-rs -n "__fish_claude_rs_using_subcommand ask" -l expect-json -d 'The reply must be JSON (a ```json fenced block is accepted); otherwise retry, then fail with output_validation'
complete -c claude-rs -n "__fish_claude_rs_using_subcommand ask" -l fallback-cache -d 'Cache successful replies; when a call finally fails with a transient error, print the cached reply to the identical request'
complete -c claude-rs -n "__fish_claude_rs_using_subcommand ask" -s q -l quiet -d 'No retry notices on stderr'
complete -c claude-rs -n "__fish_claude_rs_using_subcommand ask" -s v -l verbose -d 'Show request and response metadata on stderr (never the key)'
complete -c claude-rs -n "__fish_claude_rs_using_subcommand ask" -l dry-run -d 'Print the request that would be sent (method, URL, headers with the key masked, body) and send nothing'
complete -c claude-rs -n "__fish_claude_rs_using_subcommand ask" -l native-roots -d 'Trust the operating system\'s certificate store instead of the bundled Mozilla roots'
complete -c claude-rs -n "__fish_claude_rs_using_subcommand ask" -l allow-insecure-http -d 'Allow sending the API key over plain http:// to a host other than localhost, 127.0.0.0/8 or ::1'
complete -c claude-rs -n "__fish_claude_rs_using_subcommand ask" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c claude-rs -n "__fish_claude_rs_using_subcommand ask" -s V -l version -d 'Print version'
complete -c claude-rs -n "__fish_claude_rs_using_subcommand batch" -s o -l output -d 'Write the results here (JSONL), flushed as each item finishes. Running again with the same OUTPUT resumes: ids already in it are skipped. Default: stdout (no resume)' -r -F
complete -c claude-rs -n "__fish_claude_rs_using_subcommand batch" -s m -l model -d 'The model [env: ANTHROPIC_MODEL] [default: claude-sonnet-5-5]' -r
complete -c claude-rs -n "__fish_claude_rs_using_subcommand batch" -s s -l system -d 'A system prompt' -r
complete -c claude-rs -n "__fish_claude_rs_using_subcommand batch" -l max-tokens -d 'The most tokens the reply may have [default: 4096]' -r
complete -c claude-rs -n "__fish_claude_rs_using_subcommand batch" -l temperature -d 'Sampling temperature, 0.0 to 1.0' -r
complete -c claude-rs -n "__fish_claude_rs_using_subcommand batch" -l fallback-model -d 'When a call still fails with overloaded (529) or a server error (5xx) after its retries, and nothing was printed yet, try this model once [default: `fallback_model` in the config file]' -r
complete -c claude-rs -n "__fish_claude_rs_using_subcommand batch" -l max-retries -d 'Retries after the first attempt; 0 disables retrying [default: 4]' -r
complete -c claude-rs -n "__fish_claude_rs_using_subcommand batch" -l timeout -d 'Stall timeout in seconds: an attempt fails when the server sends nothing for this long. A long reply that keeps streaming is never cut by it [default: 30]' -r
complete -c claude-rs -n "__fish_claude_rs_using_subcommand batch" -l connect-timeout -d 'Seconds allowed to establish a connection [default: 10]' -r
complete -c claude-rs -n "__fish_claude_rs_using_subcommand batch" -l choices -d 'The trimmed reply must be one of these (case-insensitive); otherwise retry, then fail with output_validation' -r
complete -c claude-rs -n "__fish_claude_rs_using_subcommand batch" -l schema -d 'The reply must be JSON valid against this JSON Schema (inline, starting with `{`, or a file\'s path); sent as structured output when the model supports it; otherwise retry with the errors shown to the model, then fail with output_validation' -r
complete -c claude-rs -n "__fish_claude_rs_using_subcommand batch" -s j -l jobs -d 'Worker threads sending requests at the same time [default: 4]' -r
complete -c claude-rs -n "__fish_claude_rs_using_subcommand batch" -l rpm -d 'Client-side limit: requests per minute, shared by all workers' -r
complete -c claude-rs -n "__fish_claude_rs_using_subcommand batch" -l tpm -d 'Client-side limit: input tokens per minute (estimated: 4 characters a token), shared by all workers' -r
complete -c claude-rs -n "__fish_claude_rs_using_subcommand batch" -l headroom -d 'Percent of --rpm / --tpm, and of the limits the API reports, kept unused [default: 10]' -r
complete -c claude-rs -n "__fish_claude_rs_using_subcommand batch" -l give-up-after -d 'Stop the batch, leaving the rest for a rerun, when no request has succeeded for this long (rate-limit and overload waits included), e.g. 30m [default: 10m]' -r
complete -c claude-rs -n "__fish_claude_rs_using_subcommand batch" -l mock -d 'Answer from the built-in fake API with this scenario instead of the real API (no key or network needed), e.g. `--mock flaky`. See `claude-rs mock --help`' -r
complete -c claude-rs -n "__fish_claude_rs_using_subcommand batch" -l batch-id -d 'With --remote -o OUTPUT and no INPUT: follow this already-submitted batch (one submitted elsewhere, or lost) and download its results into OUTPUT' -r
complete -c claude-rs -n "__fish_claude_rs_using_subcommand batch" -l status -d 'Print the state of a Message Batch (status, counts, times, results URL) and exit' -r
complete -c claude-rs -n "__fish_claude_rs_using_subcommand batch" -l cancel -d 'Cancel a Message Batch, print its new state and exit. Results of the requests already processed stay available; the rest become `canceled`' -r
complete -c claude-rs -n "__fish_claude_rs_using_subcommand batch" -l poll-interval -d 'With --remote: seconds between polls of the batch\'s progress (above 0)' -r
complete -c claude-rs -n "__fish_claude_rs_using_subcommand batch" -l events -d 'Append one JSON object a line here for each retry, rate-limit pause, circuit breaker change, item\'s outcome and the run\'s end, for a program watching the batch (`-`: stderr). See docs/events.md' -r -F
complete -c claude-rs -n "__fish_claude_rs_using_subcommand batch" -l color -d 'When to colour diagnostics on stderr (stdout is data and never coloured, except doctor\'s lines on a terminal) [default: auto, or `color` in the config file]' -r -f -a "auto\t''
always\t''
never\t''"
complete -c claude-rs -n "__fish_claude_rs_using_subcommand batch" -l log-file -d 'Append the JSONL event log here [env: CLAUDE_RS_LOG] (default: `log_file` in the config file, else the user\'s state directory)' -r -F
complete -c claude-rs -n "__fish_claude_rs_using_subcommand batch" -l profile -d 'Use this profile of the config file ([profile.NAME]) over its top-level settings [env: CLAUDE_RS_PROFILE]' -r
complete -c claude-rs -n "__fish_claude_rs_using_subcommand batch" -l proxy -d 'Send every request through this proxy, http://[user:password@]host:port or https://…, instead of HTTPS_PROXY / HTTP_PROXY / ALL_PROXY (NO_PROXY does not apply to it)' -r
complete -c claude-rs -n "__fish_claude_rs_using_subcommand batch" -l ca-cert -d 'Also trust the CA certificates in this PEM file (a corporate TLS-inspecting proxy\'s), besides the bundled Mozilla roots [env: SSL_CERT_FILE]' -r -F
complete -c claude-rs -n "__fish_claude_rs_using_subcommand batch" -l beta -d 'Use this beta feature (repeatable; sent as one anthropic-beta header), e.g. --beta files-api-2025-04-14 [default: `betas` in the config file]' -r
complete -c claude-rs -n "__fish_claude_rs_using_subcommand batch" -l no-shared-limits -d 'Pace alone: share neither the rate limits, a 429\'s pause nor the circuit breaker with the other claude-rs processes using this base URL, key and model (see "Processes that share a key" in the README)'
complete -c claude-rs -n "__fish_claude_rs_using_subcommand batch" -l expect-json -d 'The reply must be JSON (a ```json fenced block is accepted); otherwise retry, then fail with output_validation'
complete -c claude-rs -n "__fish_claude_rs_using_subcommand batch" -l skip-invalid -d 'Write invalid input lines as errored results and go on, instead of refusing the input (exit 2)'
complete -c claude-rs -n "__fish_claude_rs_using_subcommand batch" -l retry-errored -d 'Also redo the items that errored in OUTPUT (by default only missing ones are done)'
complete -c claude-rs -n "__fish_claude_rs_using_subcommand batch" -s q -l quiet -d 'No retry notices on a terminal; the summary is still printed'
complete -c claude-rs -n "__fish_claude_rs_using_subcommand batch" -l remote -d 'Send the input through the Message Batches API instead (needs -o): submit, poll, download the results into OUTPUT. The batch ids are kept in OUTPUT.batches, so running the same command again resumes: nothing is submitted twice'
complete -c claude-rs -n "__fish_claude_rs_using_subcommand batch" -l list -d 'Print the 20 most recent Message Batches (id, status, counts, created) and exit: how to find a batch whose id was lost'
complete -c claude-rs -n "__fish_claude_rs_using_subcommand batch" -l json -d 'With --status, --cancel or --list: print the API\'s JSON on stdout, as it was sent'
complete -c claude-rs -n "__fish_claude_rs_using_subcommand batch" -l dry-run -d 'Check INPUT and OUTPUT, print the plan (items, pace, ETA, estimated tokens and cost) and the first request in full, and send nothing; OUTPUT is not touched'
complete -c claude-rs -n "__fish_claude_rs_using_subcommand batch" -l native-roots -d 'Trust the operating system\'s certificate store instead of the bundled Mozilla roots'
complete -c claude-rs -n "__fish_claude_rs_using_subcommand batch" -l allow-insecure-http -d 'Allow sending the API key over plain http:// to a host other than localhost, 127.0.0.0/8 or ::1'
complete -c claude-rs -n "__fish_claude_rs_using_subcommand batch" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c claude-rs -n "__fish_claude_rs_using_subcommand batch" -s V -l version -d 'Print version'
complete -c claude-rs -n "__fish_claude_rs_using_subcommand explain" -l color -d 'When to colour diagnostics on stderr (stdout is data and never coloured, except doctor\'s lines on a terminal) [default: auto, or `color` in the config file]' -r -f -a "auto\t''
always\t''
never\t''"
complete -c claude-rs -n "__fish_claude_rs_using_subcommand explain" -l log-file -d 'Append the JSONL event log here [env: CLAUDE_RS_LOG] (default: `log_file` in the config file, else the user\'s state directory)' -r -F
complete -c claude-rs -n "__fish_claude_rs_using_subcommand explain" -l profile -d 'Use this profile of the config file ([profile.NAME]) over its top-level settings [env: CLAUDE_RS_PROFILE]' -r
complete -c claude-rs -n "__fish_claude_rs_using_subcommand explain" -l proxy -d 'Send every request through this proxy, http://[user:password@]host:port or https://…, instead of HTTPS_PROXY / HTTP_PROXY / ALL_PROXY (NO_PROXY does not apply to it)' -r
complete -c claude-rs -n "__fish_claude_rs_using_subcommand explain" -l ca-cert -d 'Also trust the CA certificates in this PEM file (a corporate TLS-inspecting proxy\'s), besides the bundled Mozilla roots [env: SSL_CERT_FILE]' -r -F
complete -c claude-rs -n "__fish_claude_rs_using_subcommand explain" -l beta -d 'Use this beta feature (repeatable; sent as one anthropic-beta header), e.g. --beta files-api-2025-04-14 [default: `betas` in the config file]' -r
complete -c claude-rs -n "__fish_claude_rs_using_subcommand explain" -l json -d 'Print one JSON object on stdout'
complete -c claude-rs -n "__fish_claude_rs_using_subcommand explain" -l native-roots -d 'Trust the operating system\'s certificate store instead of the bundled Mozilla roots'
complete -c claude-rs -n "__fish_claude_rs_using_subcommand explain" -l allow-insecure-http -d 'Allow sending the API key over plain http:// to a host other than localhost, 127.0.0.0/8 or ::1'
complete -c claude-rs -n "__fish_claude_rs_using_subcommand explain" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c claude-rs -n "__fish_claude_rs_using_subcommand explain" -s V -l version -d 'Print version'
complete -c claude-rs -n "__fish_claude_rs_using_subcommand log; and not __fish_seen_subcommand_from stats help" -l since -d 'Only failures newer than this, e.g. 30m, 1h, 2days' -r
complete -c claude-rs -n "__fish_claude_rs_using_subcommand log; and not __fish_seen_subcommand_from stats help" -l category -d 'Only failures of this category' -r -f -a "invalid_request\t''
authentication\t''
billing\t''
permission\t''
not_found\t''
request_too_large\t''
conflict\t''
rate_limit\t''
api_error\t''
overloaded\t''
timeout\t''
connection\t''
invalid_response\t''
output_validation\t''
refusal\t''"
complete -c claude-rs -n "__fish_claude_rs_using_subcommand log; and not __fish_seen_subcommand_from stats help" -l limit -d 'Show at most the N newest failures (0 shows all)' -r
complete -c claude-rs -n "__fish_claude_rs_using_subcommand log; and not __fish_seen_subcommand_from stats help" -l color -d 'When to colour diagnostics on stderr (stdout is data and never coloured, except doctor\'s lines on a terminal) [default: auto, or `color` in the config file]' -r -f -a "auto\t''
always\t''
never\t''"
complete -c claude-rs -n "__fish_claude_rs_using_subcommand log; and not __fish_seen_subcommand_from stats help" -l log-file -d 'Append the JSONL event log here [env: CLAUDE_RS_LOG] (default: `log_file` in the config file, else the user\'s state directory)' -r -F
complete -c claude-rs -n "__fish_claude_rs_using_subcommand log; and not __fish_seen_subcommand_from stats help" -l profile -d 'Use this profile of the config file ([profile.NAME]) over its top-level settings [env: CLAUDE_RS_PROFILE]' -r
complete -c claude-rs -n "__fish_claude_rs_using_subcommand log; and not __fish_seen_subcommand_from stats help" -l proxy -d 'Send every request through this proxy, http://[user:password@]host:port or https://…, instead of HTTPS_PROXY / HTTP_PROXY / ALL_PROXY (NO_PROXY does not apply to it)' -r
complete -c claude-rs -n "__fish_claude_rs_using_subcommand log; and not __fish_seen_subcommand_from stats help" -l ca-cert -d 'Also trust the CA certificates in this PEM file (a corporate TLS-inspecting proxy\'s), besides the bundled Mozilla roots [env: SSL_CERT_FILE]' -r -F
complete -c claude-rs -n "__fish_claude_rs_using_subcommand log; and not __fish_seen_subcommand_from stats help" -l beta -d 'Use this beta feature (repeatable; sent as one anthropic-beta header), e.g. --beta files-api-2025-04-14 [default: `betas` in the config file]' -r
complete -c claude-rs -n "__fish_claude_rs_using_subcommand log; and not __fish_seen_subcommand_from stats help" -l json -d 'Print the matching log lines unchanged (JSONL)'
complete -c claude-rs -n "__fish_claude_rs_using_subcommand log; and not __fish_seen_subcommand_from stats help" -l native-roots -d 'Trust the operating system\'s certificate store instead of the bundled Mozilla roots'
complete -c claude-rs -n "__fish_claude_rs_using_subcommand log; and not __fish_seen_subcommand_from stats help" -l allow-insecure-http -d 'Allow sending the API key over plain http:// to a host other than localhost, 127.0.0.0/8 or ::1'
complete -c claude-rs -n "__fish_claude_rs_using_subcommand log; and not __fish_seen_subcommand_from stats help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c claude-rs -n "__fish_claude_rs_using_subcommand log; and not __fish_seen_subcommand_from stats help" -s V -l version -d 'Print version'
complete -c claude-rs -n "__fish_claude_rs_using_subcommand log; and not __fish_seen_subcommand_from stats help" -f -a "stats" -d 'Calls, success rate, failures by category, retries and the worst window of time'
complete -c claude-rs -n "__fish_claude_rs_using_subcommand log; and not __fish_seen_subcommand_from stats help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c claude-rs -n "__fish_claude_rs_using_subcommand log; and __fish_seen_subcommand_from stats" -l since -d 'Sum up the log since this long ago' -r
complete -c claude-rs -n "__fish_claude_rs_using_subcommand log; and __fish_seen_subcommand_from stats" -l window -d 'The size of the windows the worst one is picked from' -r
complete -c claude-rs -n "__fish_claude_rs_using_subcommand log; and __fish_seen_subcommand_from stats" -l alert-below -d 'Exit with the dominant failure category\'s code when any window with calls has a success rate below PCT percent (0 to 100)' -r
complete -c claude-rs -n "__fish_claude_rs_using_subcommand log; and __fish_seen_subcommand_from stats" -l color -d 'When to colour diagnostics on stderr (stdout is data and never coloured, except doctor\'s lines on a terminal) [default: auto, or `color` in the config file]' -r -f -a "auto\t''
always\t''
never\t''"
complete -c claude-rs -n "__fish_claude_rs_using_subcommand log; and __fish_seen_subcommand_from stats" -l log-file -d 'Append the JSONL event log here [env: CLAUDE_RS_LOG] (default: `log_file` in the config file, else the user\'s state directory)' -r -F
complete -c claude-rs -n "__fish_claude_rs_using_subcommand log; and __fish_seen_subcommand_from stats" -l profile -d 'Use this profile of the config file ([profile.NAME]) over its top-level settings [env: CLAUDE_RS_PROFILE]' -r
complete -c claude-rs -n "__fish_claude_rs_using_subcommand log; and __fish_seen_subcommand_from stats" -l proxy -d 'Send every request through this proxy, http://[user:password@]host:port or https://…, instead of HTTPS_PROXY / HTTP_PROXY / ALL_PROXY (NO_PROXY does not apply to it)' -r
complete -c claude-rs -n "__fish_claude_rs_using_subcommand log; and __fish_seen_subcommand_from stats" -l ca-cert -d 'Also trust the CA certificates in this PEM file (a corporate TLS-inspecting proxy\'s), besides the bundled Mozilla roots [env: SSL_CERT_FILE]' -r -F
complete -c claude-rs -n "__fish_claude_rs_using_subcommand log; and __fish_seen_subcommand_from stats" -l beta -d 'Use this beta feature (repeatable; sent as one anthropic-beta header), e.g. --beta files-api-2025-04-14 [default: `betas` in the config file]' -r
complete -c claude-rs -n "__fish_claude_rs_using_subcommand log; and __fish_seen_subcommand_from stats" -l json -d 'Print one JSON object on stdout'
complete -c claude-rs -n "__fish_claude_rs_using_subcommand log; and __fish_seen_subcommand_from stats" -l prometheus -d 'Print the stats in Prometheus\'s text format, for node_exporter\'s textfile collector (calls by outcome, failed attempts by category, retries, the success ratio and the worst window\'s)'
complete -c claude-rs -n "__fish_claude_rs_using_subcommand log; and __fish_seen_subcommand_from stats" -l native-roots -d 'Trust the operating system\'s certificate store instead of the bundled Mozilla roots'
complete -c claude-rs -n "__fish_claude_rs_using_subcommand log; and __fish_seen_subcommand_from stats" -l allow-insecure-http -d 'Allow sending the API key over plain http:// to a host other than localhost, 127.0.0.0/8 or ::1'
complete -c claude-rs -n "__fish_claude_rs_using_subcommand log; and __fish_seen_subcommand_from stats" -s h -l help -d 'Print help'
complete -c claude-rs -n "__fish_claude_rs_using_subcommand log; and __fish_seen_subcommand_from stats" -s V -l version -d 'Print version'
complete -c claude-rs -n "__fish_claude_rs_using_subcommand log; and __fish_seen_subcommand_from help" -f -a "stats" -d 'Calls, success rate, failures by category, retries and the worst window of time'
complete -c claude-rs -n "__fish_claude_rs_using_subcommand log; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c claude-rs -n "__fish_claude_rs_using_subcommand doctor" -s m -l model -d 'The model to look for [env: ANTHROPIC_MODEL] [default: claude-sonnet-5-5]' -r
complete -c claude-rs -n "__fish_claude_rs_using_subcommand doctor" -l timeout -d 'Seconds each network check may take (a whole request: twice this)' -r
complete -c claude-rs -n "__fish_claude_rs_using_subcommand doctor" -l color -d 'When to colour diagnostics on stderr (stdout is data and never coloured, except doctor\'s lines on a terminal) [default: auto, or `color` in the config file]' -r -f -a "auto\t''
always\t''
never\t''"
complete -c claude-rs -n "__fish_claude_rs_using_subcommand doctor" -l log-file -d 'Append the JSONL event log here [env: CLAUDE_RS_LOG] (default: `log_file` in the config file, else the user\'s state directory)' -r -F
complete -c claude-rs -n "__fish_claude_rs_using_subcommand doctor" -l profile -d 'Use this profile of the config file ([profile.NAME]) over its top-level settings [env: CLAUDE_RS_PROFILE]' -r
complete -c claude-rs -n "__fish_claude_rs_using_subcommand doctor" -l proxy -d 'Send every request through this proxy, http://[user:password@]host:port or https://…, instead of HTTPS_PROXY / HTTP_PROXY / ALL_PROXY (NO_PROXY does not apply to it)' -r
complete -c claude-rs -n "__fish_claude_rs_using_subcommand doctor" -l ca-cert -d 'Also trust the CA certificates in this PEM file (a corporate TLS-inspecting proxy\'s), besides the bundled Mozilla roots [env: SSL_CERT_FILE]' -r -F
complete -c claude-rs -n "__fish_claude_rs_using_subcommand doctor" -l beta -d 'Use this beta feature (repeatable; sent as one anthropic-beta header), e.g. --beta files-api-2025-04-14 [default: `betas` in the config file]' -r
complete -c claude-rs -n "__fish_claude_rs_using_subcommand doctor" -l json -d 'Print one JSON object on stdout: {"ok", "exit_code", "checks": [{"name", "status", "figure", "message", "fix"}]}'
complete -c claude-rs -n "__fish_claude_rs_using_subcommand doctor" -l offline -d 'Only the checks that need no network: config, proxy, health and log'
complete -c claude-rs -n "__fish_claude_rs_using_subcommand doctor" -l native-roots -d 'Trust the operating system\'s certificate store instead of the bundled Mozilla roots'
complete -c claude-rs -n "__fish_claude_rs_using_subcommand doctor" -l allow-insecure-http -d 'Allow sending the API key over plain http:// to a host other than localhost, 127.0.0.0/8 or ::1'
complete -c claude-rs -n "__fish_claude_rs_using_subcommand doctor" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c claude-rs -n "__fish_claude_rs_using_subcommand doctor" -s V -l version -d 'Print version'
complete -c claude-rs -n "__fish_claude_rs_using_subcommand config; and not __fish_seen_subcommand_from show path help" -l color -d 'When to colour diagnostics on stderr (stdout is data and never coloured, except doctor\'s lines on a terminal) [default: auto, or `color` in the config file]' -r -f -a "auto\t''
always\t''
never\t''"
complete -c claude-rs -n "__fish_claude_rs_using_subcommand config; and not __fish_seen_subcommand_from show path help" -l log-file -d 'Append the JSONL event log here [env: CLAUDE_RS_LOG] (default: `log_file` in the config file, else the user\'s state directory)' -r -F
complete -c claude-rs -n "__fish_claude_rs_using_subcommand config; and not __fish_seen_subcommand_from show path help" -l profile -d 'Use this profile of the config file ([profile.NAME]) over its top-level settings [env: CLAUDE_RS_PROFILE]' -r
complete -c claude-rs -n "__fish_claude_rs_using_subcommand config; and not __fish_seen_subcommand_from show path help" -l proxy -d 'Send every request through this proxy, http://[user:password@]host:port or https://…, instead of HTTPS_PROXY / HTTP_PROXY / ALL_PROXY (NO_PROXY does not apply to it)' -r
complete -c claude-rs -n "__fish_claude_rs_using_subcommand config; and not __fish_seen_subcommand_from show path help" -l ca-cert -d 'Also trust the CA certificates in this PEM file (a corporate TLS-inspecting proxy\'s), besides the bundled Mozilla roots [env: SSL_CERT_FILE]' -r -F
complete -c claude-rs -n "__fish_claude_rs_using_subcommand config; and not __fish_seen_subcommand_from show path help" -l beta -d 'Use this beta feature (repeatable; sent as one anthropic-beta header), e.g. --beta files-api-2025-04-14 [default: `betas` in the config file]' -r
complete -c claude-rs -n "__fish_claude_rs_using_subcommand config; and not __fish_seen_subcommand_from show path help" -l native-roots -d 'Trust the operating system\'s certificate store instead of the bundled Mozilla roots'
complete -c claude-rs -n "__fish_claude_rs_using_subcommand config; and not __fish_seen_subcommand_from show path help" -l allow-insecure-http -d 'Allow sending the API key over plain http:// to a host other than localhost, 127.0.0.0/8 or ::1'
complete -c claude-rs -n "__fish_claude_rs_using_subcommand config; and not __fish_seen_subcommand_from show path help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c claude-rs -n "__fish_claude_rs_using_subcommand config; and not __fish_seen_subcommand_from show path help" -s V -l version -d 'Print version'
complete -c claude-rs -n "__fish_claude_rs_using_subcommand config; and not __fish_seen_subcommand_from show path help" -f -a "show" -d 'Print every setting in effect, where it came from (flag, env, profile, file, default), the key masked'
complete -c claude-rs -n "__fish_claude_rs_using_subcommand config; and not __fish_seen_subcommand_from show path help" -f -a "path" -d 'Print the path of the config file (whether it exists or not)'
complete -c claude-rs -n "__fish_claude_rs_using_subcommand config; and not __fish_seen_subcommand_from show path help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c claude-rs -n "__fish_claude_rs_using_subcommand config; and __fish_seen_subcommand_from show" -l color -d 'When to colour diagnostics on stderr (stdout is data and never coloured, except doctor\'s lines on a terminal) [default: auto, or `color` in the config file]' -r -f -a "auto\t''
always\t''
never\t''"
complete -c claude-rs -n "__fish_claude_rs_using_subcommand config; and __fish_seen_subcommand_from show" -l log-file -d 'Append the JSONL event log here [env: CLAUDE_RS_LOG] (default: `log_file` in the config file, else the user\'s state directory)' -r -F
complete -c claude-rs -n "__fish_claude_rs_using_subcommand config; and __fish_seen_subcommand_from show" -l profile -d 'Use this profile of the config file ([profile.NAME]) over its top-level settings [env: CLAUDE_RS_PROFILE]' -r
complete -c claude-rs -n "__fish_claude_rs_using_subcommand config; and __fish_seen_subcommand_from show" -l proxy -d 'Send every request through this proxy, http://[user:password@]host:port or https://…, instead of HTTPS_PROXY / HTTP_PROXY / ALL_PROXY (NO_PROXY does not apply to it)' -r
complete -c claude-rs -n "__fish_claude_rs_using_subcommand config; and __fish_seen_subcommand_from show" -l ca-cert -d 'Also trust the CA certificates in this PEM file (a corporate TLS-inspecting proxy\'s), besides the bundled Mozilla roots [env: SSL_CERT_FILE]' -r -F
complete -c claude-rs -n "__fish_claude_rs_using_subcommand config; and __fish_seen_subcommand_from show" -l beta -d 'Use this beta feature (repeatable; sent as one anthropic-beta header), e.g. --beta files-api-2025-04-14 [default: `betas` in the config file]' -r
complete -c claude-rs -n "__fish_claude_rs_using_subcommand config; and __fish_seen_subcommand_from show" -l json -d 'One JSON object on stdout: {"config_file", "exists", "profile", "settings": [{"key", "value", "source"}]}'
complete -c claude-rs -n "__fish_claude_rs_using_subcommand config; and __fish_seen_subcommand_from show" -l native-roots -d 'Trust the operating system\'s certificate store instead of the bundled Mozilla roots'
complete -c claude-rs -n "__fish_claude_rs_using_subcommand config; and __fish_seen_subcommand_from show" -l allow-insecure-http -d 'Allow sending the API key over plain http:// to a host other than localhost, 127.0.0.0/8 or ::1'
complete -c claude-rs -n "__fish_claude_rs_using_subcommand config; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help'
complete -c claude-rs -n "__fish_claude_rs_using_subcommand config; and __fish_seen_subcommand_from show" -s V -l version -d 'Print version'
complete -c claude-rs -n "__fish_claude_rs_using_subcommand config; and __fish_seen_subcommand_from path" -l color -d 'When to colour diagnostics on stderr (stdout is data and never coloured, except doctor\'s lines on a terminal) [default: auto, or `color` in the config file]' -r -f -a "auto\t''
always\t''
never\t''"
complete -c claude-rs -n "__fish_claude_rs_using_subcommand config; and __fish_seen_subcommand_from path" -l log-file -d 'Append the JSONL event log here [env: CLAUDE_RS_LOG] (default: `log_file` in the config file, else the user\'s state directory)' -r -F
complete -c claude-rs -n "__fish_claude_rs_using_subcommand config; and __fish_seen_subcommand_from path" -l profile -d 'Use this profile of the config file ([profile.NAME]) over its top-level settings [env: CLAUDE_RS_PROFILE]' -r
complete -c claude-rs -n "__fish_claude_rs_using_subcommand config; and __fish_seen_subcommand_from path" -l proxy -d 'Send every request through this proxy, http://[user:password@]host:port or https://…, instead of HTTPS_PROXY / HTTP_PROXY / ALL_PROXY (NO_PROXY does not apply to it)' -r
complete -c claude-rs -n "__fish_claude_rs_using_subcommand config; and __fish_seen_subcommand_from path" -l ca-cert -d 'Also trust the CA certificates in this PEM file (a corporate TLS-inspecting proxy\'s), besides the bundled Mozilla roots [env: SSL_CERT_FILE]' -r -F
complete -c claude-rs -n "__fish_claude_rs_using_subcommand config; and __fish_seen_subcommand_from path" -l beta -d 'Use this beta feature (repeatable; sent as one anthropic-beta header), e.g. --beta files-api-2025-04-14 [default: `betas` in the config file]' -r
complete -c claude-rs -n "__fish_claude_rs_using_subcommand config; and __fish_seen_subcommand_from path" -l native-roots -d 'Trust the operating system\'s certificate store instead of the bundled Mozilla roots'
complete -c claude-rs -n "__fish_claude_rs_using_subcommand config; and __fish_seen_subcommand_from path" -l allow-insecure-http -d 'Allow sending the API key over plain http:// to a host other than localhost, 127.0.0.0/8 or ::1'
complete -c claude-rs -n "__fish_claude_rs_using_subcommand config; and __fish_seen_subcommand_from path" -s h -l help -d 'Print help'
complete -c claude-rs -n "__fish_claude_rs_using_subcommand config; and __fish_seen_subcommand_from path" -s V -l version -d 'Print version'
complete -c claude-rs -n "__fish_claude_rs_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "show" -d 'Print every setting in effect, where it came from (flag, env, profile, file, default), the key masked'
complete -c claude-rs -n "__fish_claude_rs_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "path" -d 'Print the path of the config file (whether it exists or not)'
complete -c claude-rs -n "__fish_claude_rs_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c claude-rs -n "__fish_claude_rs_using_subcommand generate" -l out -d 'The directory that holds completions/ and man/' -r -F
complete -c claude-rs -n "__fish_claude_rs_using_subcommand generate" -l color -d 'When to colour diagnostics on stderr (stdout is data and never coloured, except doctor\'s lines on a terminal) [default: auto, or `color` in the config file]' -r -f -a "auto\t''
always\t''
never\t''"
complete -c claude-rs -n "__fish_claude_rs_using_subcommand generate" -l log-file -d 'Append the JSONL event log here [env: CLAUDE_RS_LOG] (default: `log_file` in the config file, else the user\'s state directory)' -r -F
complete -c claude-rs -n "__fish_claude_rs_using_subcommand generate" -l profile -d 'Use this profile of the config file ([profile.NAME]) over its top-level settings [env: CLAUDE_RS_PROFILE]' -r
complete -c claude-rs -n "__fish_claude_rs_using_subcommand generate" -l proxy -d 'Send every request through this proxy, http://[user:password@]host:port or https://…, instead of HTTPS_PROXY / HTTP_PROXY / ALL_PROXY (NO_PROXY does not apply to it)' -r
complete -c claude-rs -n "__fish_claude_rs_using_subcommand generate" -l ca-cert -d 'Also trust the CA certificates in this PEM file (a corporate TLS-inspecting proxy\'s), besides the bundled Mozilla roots [env: SSL_CERT_FILE]' -r -F
complete -c claude-rs -n "__fish_claude_rs_using_subcommand generate" -l beta -d 'Use this beta feature (repeatable; sent as one anthropic-beta header), e.g. --beta files-api-2025-04-14 [default: `betas` in the config file]' -r
complete -c claude-rs -n "__fish_claude_rs_using_subcommand generate" -l native-roots -d 'Trust the operating system\'s certificate store instead of the bundled Mozilla roots'
complete -c claude-rs -n "__fish_claude_rs_using_subcommand generate" -l allow-insecure-http -d 'Allow sending the API key over plain http:// to a host other than localhost, 127.0.0.0/8 or ::1'
complete -c claude-rs -n "__fish_claude_rs_using_subcommand generate" -s h -l help -d 'Print help'
complete -c claude-rs -n "__fish_claude_rs_using_subcommand generate" -s V -l version -d 'Print version'
complete -c claude-rs -n "__fish_claude_rs_using_subcommand mock" -l port -d 'Port on 127.0.0.1 (0 picks a free one)' -r
complete -c claude-rs -n "__fish_claude_rs_using_subcommand mock" -l scenario -d 'A named scenario (see the list below)' -r
complete -c claude-rs -n "__fish_claude_rs_using_subcommand mock" -l script -d 'Steps for successive requests, comma-separated, e.g. `529,429:retry-after=2,ok` (overrides the scenario\'s script)' -r
complete -c claude-rs -n "__fish_claude_rs_using_subcommand mock" -l fault-rate -d 'Probability (0 to 1) of a random fault on each request after the script' -r
complete -c claude-rs -n "__fish_claude_rs_using_subcommand mock" -l rpm -d 'Server-side rate limit in requests per minute on /v1/messages: a token bucket refilled at N/60 per second (429 with retry-after when empty)' -r
complete -c claude-rs -n "__fish_claude_rs_using_subcommand mock" -l burst -d 'Capacity of the --rpm bucket (default: the --rpm value). A small burst enforces the limit over shorter intervals: --rpm 1200 --burst 20 allows about 20 a second' -r
complete -c claude-rs -n "__fish_claude_rs_using_subcommand mock" -l tpm -d 'Server-side limit in input tokens per minute on /v1/messages (a token bucket; 429 with retry-after when a request\'s estimated input tokens do not fit)' -r
complete -c claude-rs -n "__fish_claude_rs_using_subcommand mock" -l otpm -d 'Server-side limit in output tokens per minute on /v1/messages (a token bucket; a request is charged its max_tokens, then given back what its reply did not use)' -r
complete -c claude-rs -n "__fish_claude_rs_using_subcommand mock" -l batch-polls -d 'Polls (GET /v1/messages/batches/ID) it takes a Message Batch to end' -r
complete -c claude-rs -n "__fish_claude_rs_using_subcommand mock" -l latency-ms -d 'Latency added to every /v1/messages answer, in milliseconds' -r
complete -c claude-rs -n "__fish_claude_rs_using_subcommand mock" -l seed -d 'Seed for the random faults' -r
complete -c claude-rs -n "__fish_claude_rs_using_subcommand mock" -l color -d 'When to colour diagnostics on stderr (stdout is data and never coloured, except doctor\'s lines on a terminal) [default: auto, or `color` in the config file]' -r -f -a "auto\t''
always\t''
never\t''"
complete -c claude-rs -n "__fish_claude_rs_using_subcommand mock" -l log-file -d 'Append the JSONL event log here [env: CLAUDE_RS_LOG] (default: `log_file` in the config file, else the user\'s state directory)' -r -F
complete -c claude-rs -n "__fish_claude_rs_using_subcommand mock" -l profile -d 'Use this profile of the config file ([profile.NAME]) over its top-level settings [env: CLAUDE_RS_PROFILE]' -r
complete -c claude-rs -n "__fish_claude_rs_using_subcommand mock" -l proxy -d 'Send every request through this proxy, http://[user:password@]host:port or https://…, instead of HTTPS_PROXY / HTTP_PROXY / ALL_PROXY (NO_PROXY does not apply to it)' -r
complete -c claude-rs -n "__fish_claude_rs_using_subcommand mock" -l ca-cert -d 'Also trust the CA certificates in this PEM file (a corporate TLS-inspecting proxy\'s), besides the bundled Mozilla roots [env: SSL_CERT_FILE]' -r -F
complete -c claude-rs -n "__fish_claude_rs_using_subcommand mock" -l beta -d 'Use this beta feature (repeatable; sent as one anthropic-beta header), e.g. --beta files-api-2025-04-14 [default: `betas` in the config file]' -r
complete -c claude-rs -n "__fish_claude_rs_using_subcommand mock" -l tls -d 'Serve HTTPS (for testing --ca-cert and certificate failures), with a certificate for 127.0.0.1 signed by a test CA whose PEM file is written to the cache directory'
complete -c claude-rs -n "__fish_claude_rs_using_subcommand mock" -l native-roots -d 'Trust the operating system\'s certificate store instead of the bundled Mozilla roots'
complete -c claude-rs -n "__fish_claude_rs_using_subcommand mock" -l allow-insecure-http -d 'Allow sending the API key over plain http:// to a host other than localhost, 127.0.0.0/8 or ::1'
complete -c claude-rs -n "__fish_claude_rs_using_subcommand mock" -s h -l help -d 'Print help'
complete -c claude-rs -n "__fish_claude_rs_using_subcommand mock" -s V -l version -d 'Print version'
complete -c claude-rs -n "__fish_claude_rs_using_subcommand help; and not __fish_seen_subcommand_from ask batch explain log doctor config generate mock help" -f -a "ask" -d 'Send a prompt and print the reply'
complete -c claude-rs -n "__fish_claude_rs_using_subcommand help; and not __fish_seen_subcommand_from ask batch explain log doctor config generate mock help" -f -a "batch" -d 'Send many prompts from a file: in parallel at the rate limit and not past it, resumable, nothing lost'
complete -c claude-rs -n "__fish_claude_rs_using_subcommand help; and not __fish_seen_subcommand_from ask batch explain log doctor config generate mock help" -f -a "explain" -d 'Explain an API error you already have: its category, whether claude-rs retries it, the fix and the exit code. Offline'
complete -c claude-rs -n "__fish_claude_rs_using_subcommand help; and not __fish_seen_subcommand_from ask batch explain log doctor config generate mock help" -f -a "log" -d 'Show recent failures from the JSONL log, or sum it up with `log stats`'
complete -c claude-rs -n "__fish_claude_rs_using_subcommand help; and not __fish_seen_subcommand_from ask batch explain log doctor config generate mock help" -f -a "doctor" -d 'Check each hop to the API (config, proxy, DNS, TCP, TLS, HTTP, key, model, limits, clock) and the log: which one is broken, and the fix'
complete -c claude-rs -n "__fish_claude_rs_using_subcommand help; and not __fish_seen_subcommand_from ask batch explain log doctor config generate mock help" -f -a "config" -d 'The config file: the settings in effect and where each comes from, or the file\'s path'
complete -c claude-rs -n "__fish_claude_rs_using_subcommand help; and not __fish_seen_subcommand_from ask batch explain log doctor config generate mock help" -f -a "generate" -d 'Write shell completions and man pages (used to refresh completions/ and man/)'
complete -c claude-rs -n "__fish_claude_rs_using_subcommand help; and not __fish_seen_subcommand_from ask batch explain log doctor config generate mock help" -f -a "mock" -d 'Run the fake Anthropic API on 127.0.0.1, with scriptable failures, for offline tests and demos'
complete -c claude-rs -n "__fish_claude_rs_using_subcommand help; and not __fish_seen_subcommand_from ask batch explain log doctor config generate mock help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c claude-rs -n "__fish_claude_rs_using_subcommand help; and __fish_seen_subcommand_from log" -f -a "stats" -d 'Calls, success rate, failures by category, retries and the worst window of time'
complete -c claude-rs -n "__fish_claude_rs_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "show" -d 'Print every setting in effect, where it came from (flag, env, profile, file, default), the key masked'
complete -c claude-rs -n "__fish_claude_rs_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "path" -d 'Print the path of the config file (whether it exists or not)'
