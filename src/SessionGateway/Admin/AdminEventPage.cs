namespace SessionGateway.Admin;

/// <summary>A page of the audit trail, oldest first.</summary>
/// <param name="Events">At most <c>limit</c> events.</param>
/// <param name="Next">When the page is full, the cursor to ask for the next one with (<c>after=</c>); null on the last page.</param>
internal sealed record AdminEventPage(IReadOnlyList<AdminEvent> Events, string? Next);
