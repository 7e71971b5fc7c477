"""Password hashing: Argon2id at the parameters of OWASP's Password Storage Cheat Sheet.

Django's own Argon2 defaults (102,400 KiB, 2 passes, 8 lanes) cost about 235 ms of CPU a check on our
2-core server, so a burst of parents signing in after an SMS took the whole machine (docs/decisions.md,
"Argon2 at OWASP's parameters"). The cheat sheet's recommended setting m=19456 KiB (19 MiB), t=2, p=1 costs
about 23 ms. The algorithm name stays "argon2": stored hashes with other parameters are still checked by this
hasher, and Django's must_update, which compares the parameters, has them rehashed at the next successful
sign-in."""

from django.contrib.auth.hashers import Argon2PasswordHasher


class OwaspArgon2PasswordHasher(Argon2PasswordHasher):
    memory_cost = 19_456  # KiB
    time_cost = 2
    parallelism = 1
