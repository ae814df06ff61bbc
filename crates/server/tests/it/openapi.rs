//! The OpenAPI document and the routes agree: every documented operation
//! answers (not 404/405) and every route is documented.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::support::TestServer;

fn documented(spec: &Value) -> BTreeSet<(String, String)> {
    let mut operations = BTreeSet::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            operations.insert((method.to_uppercase(), path.clone()));
        }
    }
    operations
}

#[test]
fn every_route_is_documented_and_every_documented_route_exists() {
    let spec: Value = serde_json::from_str(vigie_server::OPENAPI_DOCUMENT).unwrap();
    assert!(spec["openapi"].as_str().unwrap().starts_with("3."));
    let routes: BTreeSet<(String, String)> = vigie_server::route_list()
        .into_iter()
        .map(|(method, path)| (method.as_str().to_string(), path.to_string()))
        .collect();
    assert_eq!(documented(&spec), routes);

    // Call each documented operation with its documented example.
    let server = TestServer::start();
    let (status, served) = server.call("GET", "/api-docs/openapi.json", None, None);
    assert_eq!(status, 200);
    assert_eq!(served, spec);
    // The examples refer to one transaction: decide it first.
    let example = &spec["paths"]["/v1/score"]["post"]["requestBody"]["content"]["application/json"]
        ["example"];
    let (status, answer) = server.call(
        "POST",
        "/v1/score",
        Some(&server.admin),
        Some(&example.to_string()),
    );
    assert_eq!(status, 200, "{answer}");
    for (method, path) in documented(&spec) {
        let operation = &spec["paths"][&path][method.to_lowercase()];
        let mut url = path.clone();
        for parameter in operation["parameters"].as_array().into_iter().flatten() {
            let name = parameter["name"].as_str().unwrap();
            let value = parameter["example"].as_str().unwrap();
            url = url.replace(&format!("{{{name}}}"), value);
        }
        let body = operation["requestBody"]["content"]["application/json"]["example"].to_string();
        let body = (method != "GET").then_some(body.as_str());
        let (status, answer) = server.call(&method, &url, Some(&server.admin), body);
        assert!(
            status != 404 && status != 405,
            "{method} {url} answered {status}: {answer}"
        );
        assert!(status < 300, "{method} {url} answered {status}: {answer}");
    }
    let (status, page) = server.call("GET", "/docs", None, None);
    assert_eq!(status, 200);
    assert!(page.as_str().unwrap().contains("/api-docs/openapi.json"));
}
