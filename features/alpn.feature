@alpn
Feature: gRPC and HTTP/2 are chosen by ALPN
  RFC 7540 3.3: HTTP/2 over TLS is negotiated with ALPN "h2"; gRPC rides on it.

  Scenario Outline: <protocol> server certificate: <case> (<rule>)
    Given the valid control credential was probed on the <protocol> target
    Then the server's certificate satisfies "<case>", as "<rule>" requires

    @grpc
    Examples: gRPC
      | protocol | case        | rule         |
      | gRPC     | tls/alpn/h2 | RFC 7540 3.3 |

    @http2
    Examples: HTTP/2
      | protocol | case        | rule         |
      | HTTP/2   | tls/alpn/h2 | RFC 7540 3.3 |
