//! The public router as the binary mounts it: `/` is the built dashboard, or the "not built" page
//! with 503 when `web/dist` was missing at compile time, and it merges with other routers.

use axum::Router;
use axum::body::Body;
use axum::routing::get;
use http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use tower::ServiceExt;

async fn get_path(app: Router, path: &str) -> (StatusCode, String, String) {
    let res = app
        .oneshot(Request::get(path).body(Body::empty()).expect("request"))
        .await
        .expect("infallible");
    let status = res.status();
    let ctype = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let body = res.into_body().collect().await.expect("body").to_bytes();
    (status, ctype, String::from_utf8_lossy(&body).into_owned())
}

#[tokio::test]
async fn root_serves_the_dashboard_or_says_how_to_build_it() {
    let (status, ctype, body) = get_path(dashboard::routes(), "/").await;
    assert_eq!(ctype, "text/html; charset=utf-8");
    if dashboard::BUILT {
        assert_eq!(status, StatusCode::OK);
        assert!(body.contains("<script type=\"module\""), "{body}");
    } else {
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(body.contains("npm --prefix web run build"), "{body}");
    }
}

#[tokio::test]
async fn the_built_dashboard_ships_its_map_data_and_attribution() {
    if !dashboard::BUILT {
        return;
    }
    let (status, ctype, body) =
        get_path(dashboard::routes(), "/data/hainan-coastline.geojson").await;
    assert_eq!(
        (status, ctype.as_str()),
        (StatusCode::OK, "application/geo+json")
    );
    assert!(body.contains("FeatureCollection"));
    let (status, _, notice) = get_path(dashboard::routes(), "/data/NOTICE").await;
    assert_eq!(status, StatusCode::OK);
    assert!(notice.contains("Natural Earth") && notice.contains("echarts@4.9.0"));
}

#[tokio::test]
async fn merges_with_a_stateful_api_router() {
    #[derive(Clone)]
    struct State(&'static str);
    let app: Router = Router::new()
        .route(
            "/ngsi-ld/v1/types",
            get(|axum::extract::State(s): axum::extract::State<State>| async move { s.0 }),
        )
        .merge(dashboard::routes())
        .with_state(State("api"));
    let (status, _, body) = get_path(app, "/ngsi-ld/v1/types").await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "api"));
}
