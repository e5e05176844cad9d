using System.Collections.Frozen;

namespace SessionGateway.SignIn;

/// <summary>
/// One reading of the users file. <see cref="Problems"/> make the whole reading unusable (at start a configuration
/// error, on a reload the last good reading stays); <see cref="Refused"/> lines are users left out (a hash that is not
/// bcrypt), logged with their line number while the other users are served.
/// </summary>
internal sealed record UsersFileContent(
    string Text,
    FrozenDictionary<string, string> Users,
    IReadOnlyList<string> Problems,
    IReadOnlyList<RefusedUserLine> Refused)
{
    /// <summary>
    /// The bcrypt cost most entries use (the higher one on a tie; 10 for a file without users): unknown users are
    /// checked against a dummy hash of this cost, so the time of an answer does not tell them from known ones.
    /// </summary>
    public int UsualCost { get; } = Users.Count == 0
        ? 10
        : Users.Values.GroupBy(UsersFileLoader.Cost).OrderByDescending(g => g.Count()).ThenByDescending(g => g.Key).First().Key;
}
