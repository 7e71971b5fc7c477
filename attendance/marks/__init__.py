"""What the roll call, the leave requests and the gate share about marks: setting a student's mark in a
session roll call, the absence alerts to guardians that follow, and who is on approved leave."""
