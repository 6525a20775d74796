"""E-mail: reading mail files (`reader`), extracting a message's own new text (`text`), and
classifying it under SPEC §2.2 (`classify`, which reads the headers with `headers`, machine mail
with `reports` and `bulk`, and the sender's words with `sentences`, its phrases in `phrases`)."""
