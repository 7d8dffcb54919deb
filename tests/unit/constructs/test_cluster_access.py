"""ClusterAccess: the kubernetes and helm providers, authenticated by `aws eks get-token` or a token."""

import pytest

from modules.cluster_access import ClusterAccess, ClusterAccessProps
from tests.conftest import plan_for
from tests.unit.constructs.conftest import synth_alone

ENDPOINT = "https://0123456789ABCDEF.gr7.us-west-2.eks.amazonaws.com"
CA_DATA = "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0t"


def access(config_file):
    plan = plan_for(config_file)
    return synth_alone(
        lambda scope: ClusterAccess(
            scope,
            "cluster_access",
            props=ClusterAccessProps(
                cluster_name=plan.name,
                endpoint=ENDPOINT,
                certificate_authority_data=CA_DATA,
                region=plan.region,
                auth=plan.platform.auth,
            ),
        )
    )


@pytest.fixture(scope="module")
def exec_auth():
    return access("default.yaml")  # kubernetes_auth: exec (the default)


@pytest.fixture(scope="module")
def token_auth():
    return access("capacity-block.yaml")  # kubernetes_auth: token, for Terraform Cloud


def test_exec_asks_aws_eks_get_token_for_this_cluster_in_its_region(exec_auth):
    command = {
        "api_version": "client.authentication.k8s.io/v1beta1",
        "command": "aws",
        "args": ["eks", "get-token", "--cluster-name", "demo", "--region", "us-west-2", "--output", "json"],
    }
    exec_auth.expect_provider("kubernetes", {"host": ENDPOINT, "exec": [command]})
    exec_auth.expect_provider("helm", {"kubernetes": {"host": ENDPOINT, "exec": command}})


def test_exec_reads_no_token(exec_auth):
    assert "data" not in exec_auth.doc
    (kubernetes,) = exec_auth.doc["provider"]["kubernetes"]
    (helm,) = exec_auth.doc["provider"]["helm"]
    assert "token" not in kubernetes and "token" not in helm["kubernetes"]


@pytest.mark.parametrize("provider", ["kubernetes", "helm"])
def test_the_cluster_ca_is_decoded_from_what_eks_returns(exec_auth, token_auth, provider):
    # EKS returns the CA base64-encoded; the providers want PEM.
    for spec in (exec_auth, token_auth):
        (config,) = spec.doc["provider"][provider]
        config = config.get("kubernetes", config)
        assert config["cluster_ca_certificate"] == f'${{base64decode("{CA_DATA}")}}'


def test_token_comes_from_aws_eks_cluster_auth_and_nothing_runs_a_cli(token_auth):
    token_auth.expect_data_source("aws_eks_cluster_auth", {"name": "cbtrain"})
    (auth,) = token_auth.data_sources("aws_eks_cluster_auth")
    token = f"${{data.aws_eks_cluster_auth.{auth}.token}}"
    token_auth.expect_provider("kubernetes", {"host": ENDPOINT, "token": token})
    token_auth.expect_provider("helm", {"kubernetes": {"host": ENDPOINT, "token": token}})
    assert "exec" not in token_auth.text
