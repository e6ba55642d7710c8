use std::process::ExitCode;
use std::sync::Arc;

use api::serve::{self, Mode};
use api::{ApiConfig, AppState};

#[tokio::main]
async fn main() -> ExitCode {
    if std::env::args().nth(1).as_deref() == Some("openapi") {
        println!("{}", api::openapi().to_pretty_json().expect("the spec serializes"));
        return ExitCode::SUCCESS;
    }
    startup::init_tracing("info");
    let settings = startup::settings_or_exit();
    let mode = match Mode::from_env() {
        Ok(mode) => mode,
        Err(problem) => {
            eprintln!("error: bad setting {problem}");
            return ExitCode::from(2);
        }
    };
    let sdk = startup::sdk_config().await;
    let store = match store::open(&settings.backend, &sdk).await {
        Ok(store) => store,
        Err(error) => {
            eprintln!("error: cannot open the store: {error}");
            return ExitCode::FAILURE;
        }
    };
    let state = AppState::new(
        store as Arc<dyn store::History>,
        startup::s3_client(&sdk),
        ApiConfig::from_settings(&settings),
    );
    let app = api::router(state);
    let result = match mode {
        Mode::NativeLambda => serve::native_lambda(app).await.map_err(|e| e.to_string()),
        Mode::Http(addr) => match tokio::net::TcpListener::bind(addr).await {
            Ok(listener) => {
                tracing::info!("Plot API listening on http://{addr} (docs: http://{addr}/docs/)");
                serve::http(listener, app, serve::shutdown_signal()).await.map_err(|e| e.to_string())
            }
            Err(error) => Err(format!("cannot listen on {addr}: {error}")),
        },
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(problem) => {
            eprintln!("error: {problem}");
            ExitCode::FAILURE
        }
    }
}
