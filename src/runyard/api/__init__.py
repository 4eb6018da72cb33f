"""gRPC servicers: thin — validate the request, call the domain and the store, return."""
