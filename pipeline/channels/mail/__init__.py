"""E-mail: reading mail files (`reader`), extracting a message's own new text (`text`),
and classifying it under SPEC §2.2 (`classify`, with its phrases in `phrases`)."""
