import sys

from borderscape.cli import main

sys.exit(main())
