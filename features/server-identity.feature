@server-identity
Feature: The server's own certificate is right
  mTLS is mutual: the server's certificate must chain to the trust the
  client was given (--server-ca), name the host, allow serverAuth, be
  current and use a strong key. With --server-spiffe-id, it must also
  present that SPIFFE ID (as go-spiffe's AuthorizeID checks).

  Scenario Outline: <protocol> server certificate: <case> (<rule>)
    Given the valid control credential was probed on the <protocol> target
    Then the server's certificate satisfies "<case>", as "<rule>" requires

    @grpc
    Examples: gRPC
      | protocol | case                       | rule                 |
      | gRPC     | server/chain/trusted       | RFC 5280 6.1         |
      | gRPC     | server/identity/host       | RFC 6125 6           |
      | gRPC     | server/usage/server-auth   | RFC 5280 4.2.1.12    |
      | gRPC     | server/validity/current    | RFC 5280 4.1.2.5     |
      | gRPC     | server/crypto/key-strength | NIST SP 800-57 5.6.1 |
      | gRPC     | server/spiffe/id           | SPIFFE X509-SVID 5.2 |

    @http2
    Examples: HTTP/2
      | protocol | case                       | rule                 |
      | HTTP/2   | server/chain/trusted       | RFC 5280 6.1         |
      | HTTP/2   | server/identity/host       | RFC 6125 6           |
      | HTTP/2   | server/usage/server-auth   | RFC 5280 4.2.1.12    |
      | HTTP/2   | server/validity/current    | RFC 5280 4.1.2.5     |
      | HTTP/2   | server/crypto/key-strength | NIST SP 800-57 5.6.1 |
      | HTTP/2   | server/spiffe/id           | SPIFFE X509-SVID 5.2 |

    @tls
    Examples: raw TLS
      | protocol | case                       | rule                 |
      | raw TLS  | server/chain/trusted       | RFC 5280 6.1         |
      | raw TLS  | server/identity/host       | RFC 6125 6           |
      | raw TLS  | server/usage/server-auth   | RFC 5280 4.2.1.12    |
      | raw TLS  | server/validity/current    | RFC 5280 4.1.2.5     |
      | raw TLS  | server/crypto/key-strength | NIST SP 800-57 5.6.1 |
      | raw TLS  | server/spiffe/id           | SPIFFE X509-SVID 5.2 |
