"""`python -m agent` is the `kernel-agent` command."""

import sys

from agent.frontends.cli.main import main

sys.exit(main())
