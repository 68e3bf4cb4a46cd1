//! The integration tests: the real binary against the project's fake Anthropic
//! API on 127.0.0.1. No key, no network.

mod support;

mod ask_classification;
mod ask_output;
mod ask_pipeline;
mod ask_retries;
mod ask_validation;
mod batch_faults;
mod batch_input;
mod batch_output_safety;
mod batch_remote;
mod batch_resume;
mod config_file;
mod docs_examples;
mod doctor;
mod dry_run;
mod events;
mod explain;
mod fallback_model;
mod generated_files;
mod hostile;
mod hostile_matrix;
mod hostile_numbers;
mod local_faults;
mod log_command;
mod mock_command;
mod models;
mod network;
mod raw;
mod schema;
mod shared_limits;
mod stop_reasons;
mod wire_bounds;
