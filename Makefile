# Thin wrapper: every target calls the `bookstore` CLI (through scripts/bootstrap.sh) or a script.
BOOKSTORE := ./scripts/bootstrap.sh
S ?=

.PHONY: up test down status logs clean provision lint load

up:            ## provision and start the whole platform (harmless when already up)
	$(BOOKSTORE) up

test:          ## provision, start the platform, run every test (unit, integration, end-to-end)
	./scripts/test.sh

down:          ## stop every component, keep data
	$(BOOKSTORE) down

status:        ## per component: state, readiness, port, pid, uptime
	$(BOOKSTORE) status

logs:          ## show a component's log: make logs S=kafka
	$(BOOKSTORE) logs $(S)

clean:         ## stop and wipe var/ (data, logs, certificates, secrets)
	$(BOOKSTORE) clean

provision:     ## install packages and artifacts only
	$(BOOKSTORE) provision

lint:          ## ruff + mypy
	./scripts/lint.sh

load:          ## 2 minutes of 20 Locust shoppers against the running platform: throughput, p95, errors
	.venv/bin/locust -f tests/load/locustfile.py --headless --users 20 --spawn-rate 5 --run-time 2m --only-summary
