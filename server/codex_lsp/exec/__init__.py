"""Running commands: subprocesses with streamed output, the Landlock sandbox, command parsing
and the known-safe command list. Kept free of heavy imports: the sandbox launcher starts here."""
