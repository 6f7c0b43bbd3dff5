# docs/openapi.yaml must match the route table (tests/integration/test_openapi.sh).
TESTS += tests/integration/test_openapi.sh
EXTRA_DIST += tests/integration/test_openapi.sh docs/openapi.yaml
