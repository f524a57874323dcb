@spiffe
Feature: The server authorizes the client's SPIFFE ID
  An X509-SVID carries its SPIFFE ID as its one URI SAN (SPIFFE X509-SVID 2).
  A certificate that chains to the trust bundle proves who the client is, not
  that it may call: the server must also check the ID against its policy.

  Scenario Outline: <protocol> refuses <case> (<rule>)
    Given the valid control credential was probed on the <protocol> target
    When a client presents the credential "<case>"
    Then the target refuses the connection, as "<rule>" requires

    @grpc
    Examples: gRPC
      | protocol | case            | rule               |
      | gRPC     | spiffe/wrong-id | SPIFFE X509-SVID 2 |

    @http2
    Examples: HTTP/2
      | protocol | case            | rule               |
      | HTTP/2   | spiffe/wrong-id | SPIFFE X509-SVID 2 |

    @tls
    Examples: raw TLS
      | protocol | case            | rule               |
      | raw TLS  | spiffe/wrong-id | SPIFFE X509-SVID 2 |
