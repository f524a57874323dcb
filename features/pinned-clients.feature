@pinned-clients
Feature: A server that pins self-signed client certificates trusts exactly those
  Some servers trust a set of self-signed client certificates directly
  (Go's ClientCAs = a pool of the clients' own certificates). Each pinned
  certificate is its own trust anchor (RFC 5280 6.1.1): it must be accepted,
  and any other self-signed certificate refused, even one that copies a
  pinned certificate's subject. Run against the built-in pinned server only.

  Scenario Outline: <protocol> accepts <case> (<rule>)
    Given the valid control credential was probed on the <protocol> target
    When a client presents the credential "<case>"
    Then the target accepts the connection, as "<rule>" requires

    @pinned
    Examples: pinned HTTP/2
      | protocol      | case               | rule           |
      | pinned HTTP/2 | pinned/pinned-cert | RFC 5280 6.1.1 |

  Scenario Outline: <protocol> refuses <case> (<rule>)
    Given the valid control credential was probed on the <protocol> target
    When a client presents the credential "<case>"
    Then the target refuses the connection, as "<rule>" requires

    @pinned
    Examples: pinned HTTP/2
      | protocol      | case                          | rule           |
      | pinned HTTP/2 | pinned/unpinned-self-signed   | RFC 5280 6.1.1 |
      | pinned HTTP/2 | pinned/same-subject-other-key | RFC 5280 6.1.1 |
