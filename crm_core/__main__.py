import sys

from crm_core.cli.main import main

sys.exit(main())
