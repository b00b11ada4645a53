"""Sign-in flows (Logto's Experience API), a module per step: the interaction, password and
code verifications (with their lockout), identification, profile, submit, and the events
they fire.

A step that is one transaction is a function of the caller's connection, run in its group
commit (it commits nothing). A step that awaits between transactions (a password hashed, a
message sent) is a coroutine of the `Services` it uses. Either way the events a step fires
are emitted here, through `outbox.emit`, in the transaction of the change they report; a
failed verification or an over-limit send is committed with its events before it is
answered with its error (`commit_or_refuse`).
"""
