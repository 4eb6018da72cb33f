"""Identity and access: tokens, roles, the permission matrix and rate limits.

The server interceptor (runyard.api.interceptors) asks `Authenticator` who a
call is from and `policy` whether that principal may make it; servicers only
read the resulting principal (runyard.api.context.actor).
"""
