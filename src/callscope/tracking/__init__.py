"""Dynamic number insertion: the snippet, visitor sessions, source detection, number leases.

Data flows forward from here: calls (a later room) ask `attribution` which session held a
number at a call's start time. This room never imports calls, speech, insights or reports.
"""
