from thanknote.cli import main

main()
