//! The config file: precedence (flags > environment > profile > file >
//! defaults), `api_key_cmd`, bad files named by line, the literal-key warning,
//! `config show` and `config path`.

use crate::support::*;

/// A key command that prints this key; its tail is `cmdk`.
const CMD_KEY: &str = "sk-ant-api03-FROMTHECOMMAND-000000-cmdk";

fn sent_model(world: &World) -> String {
    world.message_bodies().last().expect("a request was sent")["model"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn flags_beat_env_beat_profile_beat_file_beat_defaults() {
    let world = World::ok();
    world.config(
        "model = \"claude-haiku-4-5\"\nmax_tokens = 300\n\n[profile.work]\nmodel = \"claude-opus-4-6\"\n",
    );
    let work = ["--profile", "work"];
    // (global flags, ask's flags, ANTHROPIC_MODEL, the model sent)
    type Case<'a> = (&'a [&'a str], &'a [&'a str], Option<&'a str>, &'a str);
    let cases: Vec<Case> = vec![
        (&[], &[], None, "claude-haiku-4-5"),
        (&work, &[], None, "claude-opus-4-6"),
        (&work, &[], Some("claude-sonnet-4-5"), "claude-sonnet-4-5"),
        (
            &work,
            &["--model", "claude-opus-4-1"],
            Some("claude-sonnet-4-5"),
            "claude-opus-4-1",
        ),
    ];
    for (global, flags, env, expected) in cases {
        let mut command = world.claude();
        command.args(global).arg("ask").args(flags).arg("hello");
        if let Some(model) = env {
            command.env("ANTHROPIC_MODEL", model);
        }
        let run = run(&world, &mut command);
        assert_eq!(run.code, 0, "{flags:?}: {}", run.stderr);
        assert_eq!(sent_model(&world), expected, "{flags:?} {env:?}");
        assert_eq!(world.message_bodies().last().unwrap()["max_tokens"], 300);
    }
    let by_env = run(
        &world,
        world.ask(&["hello"]).env("CLAUDE_RS_PROFILE", "work"),
    );
    assert_eq!(by_env.code, 0, "{}", by_env.stderr);
    assert_eq!(
        sent_model(&world),
        "claude-opus-4-6",
        "CLAUDE_RS_PROFILE picks it too"
    );
}

#[test]
fn batch_settings_come_from_the_batch_table() {
    let world = World::ok();
    world.config("[batch]\nrpm = 600\nheadroom = 0.0\njobs = 3\n");
    let input = world.file("in.txt", &prompts(12));
    let output = world.path("out.jsonl");
    let run = run(&world, &mut world.batch(&[&input, "-o", &output]));
    assert_eq!(run.code, 0, "{}", run.stderr);
    let times = world.request_times();
    // 600 a minute with no headroom: one every 100 ms.
    let span = times[11] - times[1];
    assert!(span >= std::time::Duration::from_millis(950), "{span:?}");
}

#[cfg(unix)]
#[test]
fn api_key_cmd_supplies_the_key_and_it_is_never_shown() {
    let world = World::ok();
    world.config(&format!(
        "api_key_cmd = \"printf '{CMD_KEY}\\\\nignored second line'\"\n"
    ));
    let run = run(
        &world,
        world.ask(&["hello"]).env_remove("ANTHROPIC_API_KEY"),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let sent = world.server.message_requests();
    assert_eq!(sent[0].header("x-api-key"), Some(CMD_KEY));
    let show = run_show(&world, &[]);
    assert!(
        show.stdout.contains("…cmdk (from api_key_cmd)"),
        "{}",
        show.stdout
    );
    assert!(!show.stdout.contains("FROMTHECOMMAND"), "{}", show.stdout);
    assert!(!run.stderr.contains("FROMTHECOMMAND"));
}

#[cfg(unix)]
#[test]
fn a_failing_or_slow_key_command_is_a_clear_exit_2() {
    let world = World::ok();
    world.config(
        "api_key_cmd = \"echo 'pass: anthropic is not in the password store' >&2; exit 1\"\n",
    );
    let failing = run(
        &world,
        world.ask(&["hello"]).env_remove("ANTHROPIC_API_KEY"),
    );
    assert_eq!(failing.code, 2, "{}", failing.stderr);
    assert!(
        failing
            .stderr
            .contains("failed (exit 1): pass: anthropic is not in the password store"),
        "{}",
        failing.stderr
    );
    world.config("api_key_cmd = \"sleep 5\"\napi_key_cmd_timeout = 0.3\n");
    let started = std::time::Instant::now();
    let slow = run(
        &world,
        world.ask(&["hello"]).env_remove("ANTHROPIC_API_KEY"),
    );
    assert_eq!(slow.code, 2, "{}", slow.stderr);
    assert!(
        slow.stderr.contains("did not finish within 0.3s"),
        "{}",
        slow.stderr
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(4));
    assert_eq!(world.message_requests(), 0);
}

#[test]
fn a_bad_config_file_is_exit_2_naming_the_file_and_the_line() {
    let world = World::ok();
    let cases = [
        (
            "model = \"claude-haiku-4-5\"\nmodle = \"x\"\n",
            "line 2: unknown field `modle`",
        ),
        (
            "max_tokens = \"lots\"\n",
            "line 1: invalid type: string \"lots\", expected u32",
        ),
        (
            "[batch]\nrpm = 50\njob = 2\n",
            "line 3: unknown field `job`",
        ),
        ("color = \"purple\"\n", "line 1: unknown variant `purple`"),
        ("[profile.work\n", "line 1:"),
    ];
    for (text, expected) in cases {
        world.config(text);
        let run = run(&world, &mut world.ask(&["hello"]));
        assert_eq!(run.code, 2, "{text}: {}", run.stderr);
        let path = world.config_path().display().to_string();
        assert!(
            run.stderr
                .contains(&format!("bad config file {path}, {expected}")),
            "{text}: {}",
            run.stderr
        );
        assert!(run.stderr.contains("fix:"), "{}", run.stderr);
    }
    world.config("max_tokens = 0\n");
    let zero = run(&world, &mut world.ask(&["hello"]));
    assert_eq!(zero.code, 2, "{}", zero.stderr);
    assert!(zero.stderr.contains("max_tokens = 0 ("), "{}", zero.stderr);
    assert!(zero.stderr.contains("line 1)"), "{}", zero.stderr);
    assert_eq!(world.message_requests(), 0);
}

#[test]
fn an_unreadable_or_missing_explicit_config_file_is_exit_2() {
    let world = World::ok();
    let folder = world.dir.path().display().to_string();
    let unreadable = run(
        &world,
        world.ask(&["hello"]).env("CLAUDE_RS_CONFIG", &folder),
    );
    assert_eq!(unreadable.code, 2, "{}", unreadable.stderr);
    assert!(
        unreadable.stderr.contains("cannot read the config file"),
        "{}",
        unreadable.stderr
    );
    let missing = run(
        &world,
        world
            .ask(&["hello"])
            .env("CLAUDE_RS_CONFIG", world.path("nope.toml")),
    );
    assert_eq!(missing.code, 2, "{}", missing.stderr);
    assert!(
        missing.stderr.contains("which does not exist"),
        "{}",
        missing.stderr
    );
}

#[test]
fn an_unknown_profile_lists_the_profiles() {
    let world = World::ok();
    world.config("[profile.work]\n[profile.home]\n");
    let run = run(
        &world,
        world.claude().args(["--profile", "play", "ask", "hello"]),
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("unknown profile 'play'"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("use one of: home, work"),
        "{}",
        run.stderr
    );
}

#[cfg(unix)]
#[test]
fn a_literal_key_in_a_file_others_can_read_is_warned_about() {
    use std::os::unix::fs::PermissionsExt;
    let world = World::ok();
    world.config(&format!("api_key = \"{CMD_KEY}\"\n"));
    let private = run(
        &world,
        world.ask(&["hello"]).env_remove("ANTHROPIC_API_KEY"),
    );
    assert_eq!(private.code, 0, "{}", private.stderr);
    assert!(
        !private.stderr.contains("can be read by others"),
        "{}",
        private.stderr
    );
    assert_eq!(
        world.server.message_requests()[0].header("x-api-key"),
        Some(CMD_KEY)
    );
    std::fs::set_permissions(world.config_path(), std::fs::Permissions::from_mode(0o644)).unwrap();
    let open = run(
        &world,
        world.ask(&["hello"]).env_remove("ANTHROPIC_API_KEY"),
    );
    assert_eq!(open.code, 0, "{}", open.stderr);
    assert!(
        open.stderr
            .contains("holds an API key and can be read by others (mode 0644)"),
        "{}",
        open.stderr
    );
    assert!(open.stderr.contains("chmod 600"), "{}", open.stderr);
    assert!(!open.stderr.contains("FROMTHECOMMAND"));
}

/// `config show` with the key only where the config file puts it.
fn run_show(world: &World, flags: &[&str]) -> Run {
    let mut command = world.claude();
    command
        .args(flags)
        .args(["config", "show"])
        .env_remove("ANTHROPIC_API_KEY");
    run(world, &mut command)
}

#[test]
fn config_show_says_where_every_setting_comes_from() {
    let world = World::ok();
    world.config(
        "max_tokens = 300\n[batch]\nrpm = 50\n[profile.work]\nmodel = \"claude-opus-4-6\"\n",
    );
    let show = run(
        &world,
        world
            .claude()
            .args(["--profile", "work", "--color", "never", "config", "show"])
            .env("ANTHROPIC_BASE_URL", "https://gateway.example"),
    );
    assert_eq!(show.code, 0, "{}", show.stderr);
    let line = |key: &str| {
        show.stdout
            .lines()
            .find(|l| l.starts_with(&format!("{key} ")))
            .unwrap_or_else(|| panic!("no {key} row:\n{}", show.stdout))
            .to_string()
    };
    assert!(
        line("model").contains("claude-opus-4-6")
            && line("model").ends_with("profile work, line 5")
    );
    assert!(line("max_tokens").ends_with("config file, line 1"));
    assert!(line("batch.rpm").contains("50"));
    assert!(line("base_url").ends_with("env ANTHROPIC_BASE_URL"));
    assert!(
        line("api_key").contains("…wxyz") && line("api_key").ends_with("env ANTHROPIC_API_KEY")
    );
    assert!(line("color").ends_with("flag --color"));
    assert!(line("max_retries").ends_with("default"));
    assert!(
        show.stdout
            .contains(&world.config_path().display().to_string())
    );

    let json = run(&world, world.claude().args(["config", "show", "--json"]));
    assert_eq!(json.code, 0, "{}", json.stderr);
    let value = json_line(&json.stdout);
    assert_eq!(value["exists"], true);
    assert_eq!(value["profile"], serde_json::Value::Null);
    let settings = value["settings"].as_array().unwrap();
    let max_tokens = settings.iter().find(|s| s["key"] == "max_tokens").unwrap();
    assert_eq!(max_tokens["value"], 300);
    assert_eq!(max_tokens["source"], "config file, line 1");
    assert!(value["problems"].as_array().unwrap().is_empty());
}

#[test]
fn config_show_lists_problems_and_exits_2() {
    let world = World::ok();
    world.config("max_tokens = 0\n");
    let show = run(
        &world,
        world
            .claude()
            .args(["config", "show"])
            .env_remove("ANTHROPIC_API_KEY"),
    );
    assert_eq!(show.code, 2, "{}", show.stderr);
    assert!(
        show.stdout.contains("max_tokens"),
        "every row is still shown:\n{}",
        show.stdout
    );
    assert!(show.stderr.contains("max_tokens = 0"), "{}", show.stderr);
    assert!(show.stderr.contains("no API key"), "{}", show.stderr);
}

#[test]
fn config_path_prints_the_file_even_when_it_is_broken() {
    let world = World::ok();
    world.config("this is not toml");
    let path = run(&world, world.claude().args(["config", "path"]));
    assert_eq!(path.code, 0, "{}", path.stderr);
    assert_eq!(
        path.stdout.trim(),
        world.config_path().display().to_string()
    );
}

#[test]
fn doctor_reports_a_bad_config_file_as_its_config_check() {
    let world = World::ok();
    world.config("modle = 1\n");
    let run = run(&world, world.claude().args(["doctor", "--offline"]));
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(run.stdout.starts_with("✗ config"), "{}", run.stdout);
    assert!(
        run.stdout.contains("unknown field `modle`"),
        "{}",
        run.stdout
    );
}

#[test]
fn the_log_file_can_be_set_in_the_config_file() {
    let world = World::ok();
    let log = world.path("from-config.jsonl");
    world.config(&format!("log_file = \"{log}\"\n"));
    let run = run(&world, world.ask(&["hello"]).env_remove("CLAUDE_RS_LOG"));
    assert_eq!(run.code, 0, "{}", run.stderr);
    let text = std::fs::read_to_string(&log).expect("the log went where the config file said");
    assert!(text.contains("\"event\":\"call\""));
}

#[test]
fn config_show_applies_the_plain_http_rule_as_ask_does() {
    let world = World::ok();
    world.config("base_url = \"http://gateway.example:8080\"\n");
    // The environment's base URL would win over the file's.
    let show = run(
        &world,
        world
            .claude()
            .args(["config", "show"])
            .env_remove("ANTHROPIC_BASE_URL"),
    );
    assert_eq!(show.code, 2, "{}", show.stderr);
    assert!(
        show.stderr
            .contains("refusing to send the API key in the clear"),
        "{}",
        show.stderr
    );
    world.config("base_url = \"http://gateway.example:8080\"\nallow_insecure_http = true\n");
    let allowed = run(
        &world,
        world
            .claude()
            .args(["config", "show"])
            .env_remove("ANTHROPIC_BASE_URL"),
    );
    assert_eq!(allowed.code, 0, "{}", allowed.stderr);
}

#[test]
fn a_profile_from_the_environment_with_no_config_file_names_the_variable() {
    let world = World::ok();
    let mut command = world.claude();
    command
        .env("CLAUDE_RS_CONFIG", "")
        .env("HOME", world.path("home"))
        .env("XDG_CONFIG_HOME", world.path("home/.config"))
        .env("CLAUDE_RS_PROFILE", "work")
        .args(["ask", "hello"]);
    let run = run(&world, &mut command);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("unknown profile 'work' (CLAUDE_RS_PROFILE)"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("unset CLAUDE_RS_PROFILE"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("--profile"), "{}", run.stderr);
}

#[test]
fn config_show_json_lists_every_setting_even_when_one_has_a_problem() {
    let world = World::ok();
    world.config("max_tokens = 0\nsystem = \"be terse\"\ntemperature = 0.5\n");
    let mut command = world.claude();
    command.args(["config", "show", "--json"]);
    let run = run(&world, &mut command);
    assert_eq!(run.code, 2, "{}", run.stderr);
    let json = json_line(&run.stdout);
    let keys: Vec<&str> = json["settings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["key"].as_str().unwrap())
        .collect();
    for key in ["max_tokens", "system", "temperature"] {
        assert!(keys.contains(&key), "{key} missing from {keys:?}");
    }
    assert!(
        json["problems"][0]["problem"]
            .as_str()
            .unwrap()
            .contains("max_tokens = 0"),
        "{json}"
    );
}
