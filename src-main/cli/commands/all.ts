// Registers every command. Add one import per command file.
