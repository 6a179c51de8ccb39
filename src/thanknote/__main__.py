from thanknote.launch import main

main()
