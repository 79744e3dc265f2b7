"""The sandbox's HTML, written the way CM/ECF writes it: upper-case tags, unquoted
attributes, access keys underlined inside words, ``&nbsp;``, a "Log Out" broken across
lines. Valid enough for a browser; no JavaScript. The client must cope with all of it."""

from __future__ import annotations

from html import escape

from batch.registry import CourtType
from batch.sandbox.directory import SandboxCourt

_FILING = {
    CourtType.DISTRICT: [("CaseUpload", "C<U>i</U>vil"), ("Criminal", "Cr<U>i</U>minal")],
    CourtType.BANKRUPTCY: [("Bankruptcy", "<U>B</U>ankruptcy"), ("Adversary", "A<U>d</U>versary")],
    CourtType.APPELLATE: [("Filing", "<U>F</U>iling")],
}


def _page(court: SandboxCourt | None, title: str, body: str, menu: str = "") -> str:
    name = f"{court.id.upper()} CM/ECF" if court else "PACER"
    return (
        '<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01 Transitional//EN">\n'
        f"<HTML><HEAD><TITLE>{escape(title)}</TITLE></HEAD>\n<BODY BGCOLOR=#FFFFFF>\n"
        f"{menu}<H2>{escape(name)}</H2>\n{body}\n</BODY></HTML>\n"
    )


def menu_bar(court: SandboxCourt, linked: bool) -> str:
    base = f"/ecf/{court.id}/cgi-bin"
    items = []
    if linked:
        items += [f"<A HREF={base}/DisplayMenu.pl?{key}>{label}</A>" for key, label in _FILING[court.type]]
    items += [
        f"<A HREF={base}/iquery.pl>Q<U>u</U>ery</A>",
        f"<A HREF={base}/DisplayMenu.pl?Reports><U>R</U>eports</A>",
        f"<A HREF={base}/DisplayMenu.pl?Utilities><U>U</U>tilities</A>",
        f"<A HREF={base}/DisplayMenu.pl?Search>Searc<U>h</U></A>",
        f"<A HREF={base}/login.pl?logout>Log<BR>Out</A>",
    ]
    return (
        "<TABLE WIDTH=100% BGCOLOR=#E0E0E0><TR>" + "".join(f"<TD>{i}</TD>" for i in items) + "</TR></TABLE>\n"
    )


def main_page(court: SandboxCourt, linked: bool) -> str:
    body = "<P>Welcome to the United States courts' CM/ECF&nbsp;system.</P>"
    if court.type is CourtType.APPELLATE and court.nextgen and not linked:
        body += "<P><A HREF=LinkAccount.pl>Link My Filer Account to My PACER Account</A></P>"
    return _page(court, "CM/ECF", body, menu_bar(court, linked))


def utilities_page(court: SandboxCourt, linked: bool) -> str:
    items = ["<LI><A HREF=ChangeClientCode.pl>Change Client Code</A>"]
    if court.nextgen and not linked:
        items.append("<LI><A HREF=LinkAccount.pl>Link a CM/ECF account to my PACER&nbsp;account</A>")
    items.append("<LI><A HREF=TransactionLog.pl>View Your Transaction Log</A>")
    body = "<H3>Your Account</H3>\n<UL>" + "\n".join(items) + "</UL>"
    return _page(court, "Utilities", body, menu_bar(court, linked))


def credentials_form(court: SandboxCourt, ticket: str) -> str:
    body = (
        "<P>Enter the CM/ECF login and password issued by the court.</P>\n"
        '<FORM METHOD=POST ACTION=LinkAccount.pl ENCTYPE="multipart/form-data">\n'
        f'<INPUT TYPE=hidden NAME=csrf VALUE="{ticket}">\n'
        f"<INPUT TYPE=hidden NAME=court_id VALUE={court.id}>\n"
        "<TABLE><TR><TD>CM/ECF Login:</TD><TD><INPUT TYPE=text NAME=login SIZE=20></TD></TR>\n"
        "<TR><TD>Password:</TD><TD><INPUT TYPE=password NAME=key SIZE=20></TD></TR></TABLE>\n"
        "<INPUT TYPE=submit VALUE=Submit> <INPUT TYPE=reset VALUE=Clear>\n</FORM>"
    )
    return _page(court, "Link a CM/ECF account", body, menu_bar(court, False))


def verify_page(court: SandboxCourt, ticket: str, pacer_name: str, ecf_name: str) -> str:
    body = (
        "<P>Ensure that the CM/ECF name and PACER names match. Click Submit.</P>\n"
        "<TABLE BORDER=1>"
        f"<TR><TH ALIGN=left>PACER Name</TH><TD>{escape(pacer_name)}</TD></TR>"
        f"<TR><TH ALIGN=left>CM/ECF Name</TH><TD>{escape(ecf_name)}</TD></TR></TABLE>\n"
        '<FORM METHOD=POST ACTION=LinkConfirm.pl ENCTYPE="multipart/form-data">'
        f'<INPUT TYPE=hidden NAME=csrf VALUE="{ticket}"><INPUT TYPE=submit VALUE=Submit></FORM>'
    )
    return _page(court, "Verify", body, menu_bar(court, False))


def message_page(court: SandboxCourt | None, text: str, linked: bool = False) -> str:
    menu = menu_bar(court, linked) if court else ""
    return _page(court, "CM/ECF", f"<P><B>{escape(text)}</B></P>", menu)


def maintenance_page(court: SandboxCourt) -> str:
    return _page(
        court, "Maintenance", "<P>The system is down for scheduled maintenance. Try again tonight.</P>"
    )


def login_page(psc_id: str) -> str:
    body = (
        f"<P>PACER Login ({escape(psc_id)})</P><FORM METHOD=POST ACTION=/csologin/login.jsf>"
        "<INPUT TYPE=text NAME=loginForm:loginName><INPUT TYPE=password NAME=loginForm:password>"
        "<INPUT TYPE=submit VALUE=Login></FORM><P>NOTICE: This is a restricted government web site.</P>"
    )
    return _page(None, "PACER Login", body)
