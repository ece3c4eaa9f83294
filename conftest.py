"""The root of every test run: the app tests under pathways/ and the integration tests under
tests/ get the same fixtures (the shared `cast`, the browser, each test's own analytics extract)
and the attack suite's count by group, in every pytest-xdist worker too. pytest accepts
`pytest_plugins` only in this, the rootdir's conftest."""

pytest_plugins = ["pathways.testing", "tests.attack_report"]
