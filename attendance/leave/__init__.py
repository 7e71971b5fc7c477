"""Leave requests (xin nghỉ học): the guardian asks or cancels, the homeroom teacher and, for a long leave,
the principal decide; an approval marks the sessions already taken P."""
