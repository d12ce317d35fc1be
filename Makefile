# The two commands of the README. Everything else is `rtstock --help`.
.PHONY: demo test bootstrap

demo: bootstrap
	.venv/bin/rtstock demo

test:
	bash scripts/test.sh

bootstrap:
	bash scripts/bootstrap.sh
