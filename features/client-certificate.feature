@client-certificate
Feature: The server demands a client certificate
  A server that asks for a client certificate but does not insist on one
  authenticates nobody (RFC 8446 4.4.2.4). Every refusal is judged against
  the valid control credential, probed on the same path in the same run.

  Scenario Outline: <protocol> accepts <case> (<rule>)
    Given the valid control credential was probed on the <protocol> target
    When a client presents the credential "<case>"
    Then the target accepts the connection, as "<rule>" requires

    @grpc
    Examples: gRPC
      | protocol | case       | rule           |
      | gRPC     | x509/valid | RFC 8446 4.4.2 |

    @http2
    Examples: HTTP/2
      | protocol | case       | rule           |
      | HTTP/2   | x509/valid | RFC 8446 4.4.2 |

    @tls
    Examples: raw TLS
      | protocol | case       | rule           |
      | raw TLS  | x509/valid | RFC 8446 4.4.2 |

  Scenario Outline: <protocol> refuses <case> (<rule>)
    Given the valid control credential was probed on the <protocol> target
    When a client presents the credential "<case>"
    Then the target refuses the connection, as "<rule>" requires

    @grpc
    Examples: gRPC
      | protocol | case               | rule             |
      | gRPC     | tls/no-client-cert | RFC 8446 4.4.2.4 |

    @http2
    Examples: HTTP/2
      | protocol | case               | rule             |
      | HTTP/2   | tls/no-client-cert | RFC 8446 4.4.2.4 |

    @tls
    Examples: raw TLS
      | protocol | case               | rule             |
      | raw TLS  | tls/no-client-cert | RFC 8446 4.4.2.4 |
