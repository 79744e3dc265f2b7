"""The sandbox: a simulated PACER Central Sign-On and NextGen CM/ECF courts, on loopback.

It follows link-protocol.md, is loaded from a directory file (contract.md), and keeps
counters that tests and the benchmark read to prove the client's manners: logins per
account, links per (court, account) and any second link, requests and the highest
one-second rate per host, 429s sent, lockouts.
"""
