"""Who may do what, and the record of it.

- ``auth``: roles, principals, the roles file, masking of contact fields;
- ``audit``: the audit log (uploads, rollbacks, exports, sign-ins, refusals);
- ``export``: customer lists as CSV / Excel, with rights, masking and formula escaping.
"""
