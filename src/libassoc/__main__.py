from libassoc.cli import main

raise SystemExit(main())
