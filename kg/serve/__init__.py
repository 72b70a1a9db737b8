"""`kg serve`: the graph as a local, read-only SPARQL 1.1 endpoint.

endpoint   make_server, serve: the entry points
server     the server: threads for requests, a forked process per query
http       routes and the SPARQL 1.1 Protocol
execute    checking, running and writing one query (in its process)
negotiate  the format of a reply;  replies  replies and error replies
describe   the service description and the dataset's VoID
"""
