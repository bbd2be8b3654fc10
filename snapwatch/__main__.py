from snapwatch.cli import main

raise SystemExit(main())
