"""Protocols the engine speaks: HTTP (JSON/XML bodies, auth styles, pagination styles, retries), ODBC
(SQL through pyodbc, one transaction per record) and files (JSON, JSON Lines, XML in one folder).

No vendor name appears here: a connector definition (``specs/connectors/*.yaml``) names the paths,
parameters, auth and pagination styles and quirks of one system.
"""
