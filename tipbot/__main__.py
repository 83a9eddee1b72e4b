import gc
import sys

# Start-up builds modules, classes and the bank: hundreds of thousands of long-lived objects and
# almost no garbage, yet each import triggers the cyclic collector, which walks them all again and
# again (about 15 % of start-up CPU). Collection resumes once start-up is over: `cli.main` turns
# it back on for every command, `run` after `Runner.start` has frozen what start-up made.
gc.disable()

from tipbot.cli import main  # noqa: E402 - after the collector is paused

sys.exit(main())
