@client @name
Feature: The client checks that the server certificate names the host it asked for
  RFC 9525: the reference identity (the host the client was told to reach)
  must match a DNS-ID or IP-ID of the subjectAltName; the CN is no longer one.

  Scenario Outline: the client refuses <case> (<rule>)
    Given mtlspec serves the server credential "<case>"
    When the client under test connects to it
    Then the client sends no application data, as "<rule>" requires

    Examples:
      | case                   | rule         |
      | client/name/wrong-host | RFC 9525 6.3 |
      | client/name/cn-only    | RFC 9525 6.3 |
