from trails.cli import main

main()
