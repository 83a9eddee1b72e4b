import sys

from tipbot.cli import main

sys.exit(main())
