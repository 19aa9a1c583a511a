import sys

from vault_crm.cli import main

sys.exit(main())
