@client @control
Feature: The client accepts a valid server credential (the control)
  Every other case is read against this one: a client that does not accept
  the valid server credential in the same run cannot be judged on the rest.

  Scenario Outline: the client accepts <case> (<rule>)
    Given mtlspec serves the server credential "<case>"
    When the client under test connects to it
    Then the client sends application data, as "<rule>" requires

    Examples:
      | case         | rule           |
      | client/valid | RFC 8446 4.4.2 |
