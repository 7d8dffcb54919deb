"""The README a newcomer follows: the commands it shows exist, and it names one place for state."""

from __future__ import annotations

import re

from tests.conftest import ROOT

README = (ROOT / "README.md").read_text()
SHELL_BLOCKS = "\n".join(re.findall(r"```sh\n(.*?)```", README, re.S))


def test_every_make_target_in_a_shell_block_exists():
    makefile = (ROOT / "Makefile").read_text()
    for target in set(re.findall(r"^\$?\s*make ([a-z-]+)", SHELL_BLOCKS, re.M)):
        assert re.search(rf"^{target}:", makefile, re.M), target


def test_the_shell_blocks_deploy_and_destroy_through_make_not_a_bare_cdktf_deploy():
    assert "make deploy" in SHELL_BLOCKS and "make destroy" in SHELL_BLOCKS and "make plan" in SHELL_BLOCKS
    assert "cdktf deploy" not in SHELL_BLOCKS  # it would deploy $CLUSTER_CONFIG, not the file just synthesized
    assert "npm ci" not in SHELL_BLOCKS        # make install-cli, whose marker a hand-run npm ci keeps fresh


def test_local_state_has_one_location():
    assert "state/<stack>.tfstate" in README
    assert "beside each synthesized stack" not in README
    # The old root files are named only where the README says how to move them.
    for match in re.finditer(r"terraform\.<stack>\.tfstate", README):
        assert "State from before this layout" in README[max(0, match.start() - 400):match.start()]


def test_bring_your_own_vpc_requirements_are_stated():
    for fact in ("kubernetes.io/role/internal-elb=1", "kubernetes.io/role/elb=1", "NAT", "cannot be rehearsed"):
        assert fact in README.split("### Bringing your own VPC")[1].split("\n## ")[0], fact


def test_destroy_section_names_what_terraform_does_not_own():
    destroying = README.split("### Destroying")[1].split("\n### ")[0]
    for fact in ("kubectl delete svc --all-namespaces --field-selector spec.type=LoadBalancer",
                 "aws elbv2 describe-load-balancers",
                 "Name=tag:kubernetes.io/cluster/<name>,Values=owned", "inside the VPC"):
        assert fact in destroying, fact
