//! The composite examples (modules, several aliased providers) are valid for the provider's
//! schema: `terraform init` from the provider cargo built, then `terraform validate`. The
//! per-resource examples are checked by `acceptance_ca`.

mod support;

use support::Workspace;

#[test]
fn composite_examples_validate() {
    for name in ["two-region-org", "multi-region-ha", "environments"] {
        let ws = Workspace::for_example(name);
        ws.init();
        let out = ws.tf(&["validate"]);
        assert_eq!(
            out.code, 0,
            "examples/{name} is not valid:\n{}\n{}",
            out.stdout, out.stderr
        );
    }
}
