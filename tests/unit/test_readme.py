"""The README a newcomer follows and the docs behind it: the commands they show exist, every
relative link resolves, and the deploying guide names one place for state."""

from __future__ import annotations

import re

from tests.conftest import ROOT

README = (ROOT / "README.md").read_text()
DOCS = sorted((ROOT / "docs").glob("*.md"))
DEPLOYING = (ROOT / "docs" / "deploying.md").read_text()
README_SHELL = "\n".join(re.findall(r"```sh\n(.*?)```", README, re.S))
ALL_SHELL = README_SHELL + "\n".join("\n".join(re.findall(r"```sh\n(.*?)```", doc.read_text(), re.S)) for doc in DOCS)


def test_every_make_target_in_a_shell_block_exists():
    makefile = (ROOT / "Makefile").read_text()
    for target in set(re.findall(r"^\$?\s*make ([a-z-]+)", ALL_SHELL, re.M)):
        assert re.search(rf"^{target}:", makefile, re.M), target


def test_the_front_door_deploys_and_destroys_through_make_not_a_bare_cdktf_deploy():
    assert "make deploy" in README_SHELL and "make destroy" in README_SHELL and "make plan" in README_SHELL
    assert "cdktf deploy" not in ALL_SHELL  # it would deploy $CLUSTER_CONFIG, not the file just synthesized
    assert "npm ci" not in ALL_SHELL  # make install-cli, whose marker a hand-run npm ci keeps fresh


def test_the_front_door_is_short_and_states_the_cdktf_pins():
    assert len(README.splitlines()) <= 200
    for fact in ("2025-12-10", "cdktf==0.21.0", "cdktf-cdktf-provider-aws==20.1.0", "modules/bindings.py", "`cdktn`", "2442 s"):
        assert fact in README, fact


def test_every_relative_link_resolves():
    missing = []
    for page in [ROOT / "README.md", *DOCS]:
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", page.read_text()):
            if re.match(r"[a-z]+:", target):
                continue
            resolved = (page.parent / target).resolve()
            if not resolved.exists():
                missing.append(f"{page.relative_to(ROOT)}: {target}")
    assert not missing


def test_the_front_door_links_every_page_in_docs():
    for page in DOCS:
        assert f"](docs/{page.name})" in README, page.name


def test_local_state_has_one_location():
    assert "state/<stack>.tfstate" in DEPLOYING and "state/<stack>.tfstate" in README
    assert "beside each synthesized stack" not in DEPLOYING + README
    # The old root files are named only where the guide says how to move them.
    for match in re.finditer(r"terraform\.<stack>\.tfstate", DEPLOYING):
        assert "State from before this layout" in DEPLOYING[max(0, match.start() - 400) : match.start()]
    assert "terraform.<stack>.tfstate" not in README


def test_bring_your_own_vpc_requirements_are_stated():
    for fact in ("kubernetes.io/role/internal-elb=1", "kubernetes.io/role/elb=1", "NAT", "cannot be rehearsed"):
        assert fact in DEPLOYING.split("### Bringing your own VPC")[1].split("\n## ")[0], fact


def test_destroy_section_names_what_terraform_does_not_own():
    destroying = DEPLOYING.split("### Destroying")[1].split("\n### ")[0]
    for fact in (
        "kubectl delete svc --all-namespaces --field-selector spec.type=LoadBalancer",
        "aws elbv2 describe-load-balancers",
        "Name=tag:kubernetes.io/cluster/<name>,Values=owned",
        "inside the VPC",
    ):
        assert fact in destroying, fact
