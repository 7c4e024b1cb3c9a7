import gc

gc.disable()  # no cycle collection while start-up imports and builds: bot/runner.py settle()

from bot.cli import main  # noqa: E402

raise SystemExit(main())
