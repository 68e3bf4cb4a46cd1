//! `ask` processes on one base URL and key share one pace through a state
//! file under XDG_RUNTIME_DIR (here the test's own folder): the limits, a
//! 429's hold, the circuit breaker.

use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

use fake_api::MockConfig;
use serde_json::Value;

use crate::support::{KEY_SECRET_PART, TEST_KEY, World};

fn limits_dir(world: &World) -> PathBuf {
    world
        .dir
        .path()
        .join("runtime")
        .join("claude-rs")
        .join("limits")
}

/// The one state file of the world's base URL and key.
fn state_file(world: &World) -> PathBuf {
    let files: Vec<PathBuf> = std::fs::read_dir(limits_dir(world))
        .expect("the limits folder exists")
        .map(|entry| entry.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    files[0].clone()
}

fn state(world: &World) -> Value {
    serde_json::from_slice(&std::fs::read(state_file(world)).unwrap()).expect("JSON state")
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

#[test]
fn asks_started_together_share_one_pace_and_all_succeed() {
    // 600 a minute, 4 at once: each process alone would send its asks back
    // to back and meet 429s; together they go one slot apart.
    let world = World::new(MockConfig {
        rpm_limit: Some(600),
        rpm_burst: Some(4),
        ..MockConfig::default()
    });
    let (processes, each) = (4, 5);
    let codes: Vec<i32> = std::thread::scope(|scope| {
        let loops: Vec<_> = (0..processes)
            .map(|p| {
                let world = &world;
                scope.spawn(move || {
                    (0..each)
                        .map(|n| {
                            let output = world
                                .process()
                                .args(["ask", &format!("loop {p} prompt {n}")])
                                .output()
                                .unwrap();
                            output.status.code().unwrap_or(-1)
                        })
                        .collect::<Vec<i32>>()
                })
            })
            .collect();
        loops.into_iter().flat_map(|l| l.join().unwrap()).collect()
    });
    assert_eq!(codes, vec![0; processes * each]);
    let requests = world.server.message_requests().len();
    let rate_limited = requests - processes * each;
    assert!(
        rate_limited * 10 <= requests,
        "{rate_limited} 429s in {requests} requests: over 10%"
    );
    let state = state(&world);
    assert_eq!(state["learned"][0], 600, "{state}");
}

#[test]
fn a_second_process_honours_the_hold_of_a_429_the_first_was_given() {
    let world = World::steps("429:retry-after=3600");
    // The first gives up (an hour is past the 60 s it waits) and holds the others.
    world.ask(&["--max-retries", "0", "first"]).assert().code(5);
    let hold = state(&world)["hold_until_ms"].as_u64().expect("a hold");
    // The retry-after, shrunk by the tests' sleep scale: 3.6 s.
    assert!(hold > now_ms() && hold <= now_ms() + 3_600, "{hold}");
    let second = world.ask(&["--deadline", "1", "second"]).assert().code(5);
    let stderr = String::from_utf8_lossy(&second.get_output().stderr).into_owned();
    assert!(
        stderr.contains("not sent: the API answered 429 to a claude-rs process using this key, and every such process waits")
            && stderr.contains("past --deadline")
            && stderr.contains("--no-shared-limits paces this process alone"),
        "{stderr}"
    );
    assert_eq!(
        world.server.message_requests().len(),
        1,
        "the second sent nothing"
    );
    // Pacing alone, a third goes at once.
    world
        .ask(&["--no-shared-limits", "third"])
        .assert()
        .success();
    assert_eq!(world.server.message_requests().len(), 2);
}

#[test]
fn an_ask_waiting_out_another_process_s_hold_says_so_in_its_events() {
    // A 429 of 100 s (0.1 s at the tests' sleep scale) given to the first.
    let world = World::steps("429:retry-after=100");
    world.ask(&["--max-retries", "0", "first"]).assert().code(5);
    let path = world.path("events.jsonl");
    world.ask(&["--events", &path, "second"]).assert().success();
    let lines = std::fs::read_to_string(&path).unwrap();
    let events: Vec<Value> = lines
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let kinds: Vec<&str> = events.iter().filter_map(|e| e["event"].as_str()).collect();
    assert_eq!(kinds, ["pause", "outcome"], "{lines}");
    let pause = &events[0];
    assert_eq!(pause["command"], "ask");
    assert_eq!(pause["reason"], "shared_hold");
    assert!(pause.get("custom_id").is_none(), "{pause}");
    let wait = pause["wait_ms"].as_u64().unwrap();
    assert!(wait > 0 && wait <= 100, "{wait}");
    assert_eq!(world.server.message_requests().len(), 2);
}

#[test]
fn an_open_breaker_written_by_another_process_fails_a_call_that_will_not_wait() {
    let world = World::steps("529,529,529,529,529");
    // Five overloads in a row open the breaker for everyone.
    world.ask(&["--max-retries", "4", "first"]).assert().code(6);
    let breaker = &state(&world)["breaker"];
    assert!(breaker["open_until_ms"].is_u64(), "{breaker}");
    // Another process's breaker, open for the next hour.
    let mut opened = state(&world);
    opened["written_at_ms"] = now_ms().into();
    opened["breaker"]["open_until_ms"] = (now_ms() + 3_600_000).into();
    std::fs::write(state_file(&world), opened.to_string()).unwrap();
    let second = world.ask(&["second"]).assert().code(6);
    let stderr = String::from_utf8_lossy(&second.get_output().stderr).into_owned();
    assert!(
        stderr.contains("opened the circuit breaker, and every such process waits")
            && stderr.contains("longer than the 60s ask waits"),
        "{stderr}"
    );
    assert_eq!(world.server.message_requests().len(), 5);
}

#[test]
fn each_model_keeps_its_own_pace_as_the_api_limits_each_model() {
    let world = World::steps("429:retry-after=3600");
    let on = |model: &str, prompt: &str| {
        let args = [
            "--max-retries",
            "0",
            "--deadline",
            "1",
            "--model",
            model,
            prompt,
        ];
        world.ask(&args).assert()
    };
    on("claude-opus-4-1", "first").code(5);
    // The 429 held Opus, not Haiku.
    on("claude-haiku-4-5", "second").success();
    let third = on("claude-opus-4-1", "third").code(5);
    let stderr = String::from_utf8_lossy(&third.get_output().stderr).into_owned();
    assert!(
        stderr.contains("not sent: the API answered 429"),
        "{stderr}"
    );
    let files = std::fs::read_dir(limits_dir(&world)).unwrap().count();
    assert_eq!(files, 2, "one state file per model");
    assert_eq!(world.server.message_requests().len(), 2);
}

#[test]
fn the_state_file_is_private_and_never_holds_the_key() {
    let world = World::ok();
    world.ask(&["hello"]).assert().success();
    let path = state_file(&world);
    let text = std::fs::read_to_string(&path).unwrap();
    let name = path.to_string_lossy().into_owned();
    for leak in [TEST_KEY, KEY_SECRET_PART, "wxyz"] {
        assert!(
            !text.contains(leak) && !name.contains(leak),
            "{name}: {text}"
        );
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(&limits_dir(&world)), 0o700);
    }
}

#[test]
fn a_damaged_state_file_is_rewritten_and_costs_nothing() {
    let world = World::ok();
    world.ask(&["hello"]).assert().success();
    std::fs::write(state_file(&world), b"{\"version\": 99, \x00\xff").unwrap();
    world.ask(&["again"]).assert().success().stderr("");
    assert_eq!(state(&world)["version"], 1, "rewritten");
}

#[test]
fn an_unusable_runtime_folder_leaves_ask_working() {
    let world = World::ok();
    // A file where the folder should be: nothing can be created under it.
    let blocked = world.file("runtime", "");
    world
        .ask(&["hello"])
        .assert()
        .success()
        .stdout("Hello from the claude-rs fake API. You said: hello\n")
        .stderr("");
    assert_eq!(std::fs::read_to_string(blocked).unwrap(), "");
}

#[test]
fn no_shared_limits_and_the_config_key_leave_no_state_file() {
    let world = World::ok();
    world
        .ask(&["--no-shared-limits", "hello"])
        .assert()
        .success();
    world.config("shared_limits = false\n");
    world.ask(&["hello"]).assert().success();
    world
        .batch(&[&world.file("in.txt", "one\ntwo\n"), "-q"])
        .assert()
        .success();
    assert!(!world.dir.path().join("runtime").exists());
    world.config("");
    world.ask(&["hello"]).assert().success();
    assert!(state_file(&world).exists());
}

#[test]
fn a_batch_shares_what_it_learns_and_honours_an_open_breaker() {
    let world = World::new(MockConfig {
        rpm_limit: Some(6000),
        ..MockConfig::default()
    });
    let input = world.file("in.txt", "one\ntwo\nthree\n");
    world.batch(&[&input, "-q"]).assert().success();
    assert_eq!(state(&world)["learned"][0], 6000);
    assert_eq!(world.server.message_requests().len(), 3);
    // Another process's breaker, open for the next hour: the batch sends
    // nothing and stops at its give-up bound, its items left for a rerun.
    let mut opened = state(&world);
    opened["written_at_ms"] = now_ms().into();
    opened["breaker"]["open_until_ms"] = (now_ms() + 3_600_000).into();
    std::fs::write(state_file(&world), opened.to_string()).unwrap();
    let stopped = world
        .batch(&[&input, "-q", "--give-up-after", "1s"])
        .assert()
        .code(6);
    let stderr = String::from_utf8_lossy(&stopped.get_output().stderr);
    assert!(
        stderr.contains(
            "the circuit breaker shared with the other claude-rs processes using this key is open"
        ) && stderr.contains("unfinished: 3 (left for a rerun)"),
        "{stderr}"
    );
    assert_eq!(world.server.message_requests().len(), 3, "nothing sent");
}
