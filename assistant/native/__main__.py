import sys

from assistant.native import main

sys.exit(main())
